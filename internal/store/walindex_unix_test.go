//go:build unix

package store

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// TestWALIndexHeader: the header is trusted only when its two copies agree
// and it is a WAL index in use; a torn or foreign header, a file too short
// or no file at all is not read (ChangeVersion then asks SQLite). Equal
// headers give equal versions, and any change to either gives another.
func TestWALIndexHeader(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "varco.db")
	header := func(change uint32) []byte {
		h := make([]byte, walIndexHeader)
		binary.NativeEndian.PutUint32(h[0:], walIndexVersion)
		binary.NativeEndian.PutUint32(h[8:], change)
		binary.NativeEndian.PutUint32(h[16:], 42) // mxFrame
		return h
	}
	write := func(first, second []byte) {
		t.Helper()
		b := append(append([]byte{}, first...), second...)
		b = append(b, make([]byte, 4096-len(b))...)
		if err := os.WriteFile(db+"-shm", b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := openWALIndex(db); err == nil {
		t.Fatal("opened a WAL index that does not exist")
	}
	if err := os.WriteFile(db+"-shm", make([]byte, walIndexHeader), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openWALIndex(db); err == nil {
		t.Fatal("opened a WAL index shorter than its header")
	}
	write(header(7), header(8)) // a writer between the two copies
	if _, err := openWALIndex(db); err == nil {
		t.Fatal("opened a WAL index whose copies disagree")
	}
	foreign := header(7)
	binary.NativeEndian.PutUint32(foreign[0:], 1)
	write(foreign, foreign)
	if _, err := openWALIndex(db); err == nil {
		t.Fatal("opened a WAL index of another version")
	}

	write(header(7), header(7))
	w, err := openWALIndex(db)
	if err != nil {
		t.Fatal(err)
	}
	v1, ok := w.version()
	if !ok || v1>>63 != 1 {
		t.Fatalf("version %x %v, want one with the top bit set", v1, ok)
	}
	if v, ok := w.version(); !ok || v != v1 {
		t.Fatal("the same header read twice gave two versions")
	}
	// The mapping is shared: what a writer puts in the file is read at once.
	f, err := os.OpenFile(db+"-shm", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(header(8), walIndexHeader); err != nil { // the second copy first, as SQLite does
		t.Fatal(err)
	}
	if _, ok := w.version(); ok {
		t.Fatal("a header half rewritten was trusted")
	}
	if _, err := f.WriteAt(header(8), 0); err != nil {
		t.Fatal(err)
	}
	if v2, ok := w.version(); !ok || v2 == v1 {
		t.Fatalf("after a commit: version %x %v, want a new one", v2, ok)
	}
}
