//go:build unix

package store

import (
	"fmt"
	"hash/maphash"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// walIndex is a read-only view of the header of a SQLite database's
// WAL index (its "-shm" file, https://www.sqlite.org/walformat.html):
// every process's connections keep their shared state there, and each
// commit rewrites the header (its change counter, last frame, salts and
// checksums). Reading it is what SQLite itself does to learn whether
// another connection committed, and costs a few loads instead of a
// statement: ChangeVersion reads it on every request.
//
// The file stays the same for as long as any connection to the database
// is open (the last one to close deletes it): changes keeps one open.
type walIndex struct {
	mem  []byte // the mapped first page of the -shm file
	seed maphash.Seed
}

// walIndexVersion is iVersion, the first field of a valid header.
const walIndexVersion = 3007000

// walIndexHeader is one copy of the header: 12 native-endian words. The
// file starts with two copies; a writer fills the second, then the first,
// and a reader trusts them only when they agree.
const walIndexHeader = 48

// openWALIndex maps the WAL index of the database file at path. The
// mapping is undone by the garbage collector once nothing refers to the
// walIndex any more: a caller still reading it keeps it mapped.
func openWALIndex(path string) (*walIndex, error) {
	f, err := os.Open(path + "-shm")
	if err != nil {
		return nil, fmt.Errorf("wal index: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("wal index: %w", err)
	}
	if st.Size() < 2*walIndexHeader {
		return nil, fmt.Errorf("wal index: %d bytes", st.Size())
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 2*walIndexHeader, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("wal index: map: %w", err)
	}
	w := &walIndex{mem: mem, seed: maphash.MakeSeed()}
	runtime.AddCleanup(w, func(mem []byte) { _ = syscall.Munmap(mem) }, mem)
	if _, ok := w.version(); !ok {
		return nil, fmt.Errorf("wal index: no valid header")
	}
	return w, nil
}

// version returns a number that changes whenever the header does, with
// its top bit set (versions read with PRAGMA data_version have it clear),
// and false while a writer is between the two copies or the header is not
// one of a WAL index in use: then the caller asks SQLite.
func (w *walIndex) version() (uint64, bool) {
	var h [2][walIndexHeader / 4]uint32
	p := unsafe.Pointer(unsafe.SliceData(w.mem))
	for c := range h {
		for i := range h[c] {
			h[c][i] = atomic.LoadUint32((*uint32)(unsafe.Add(p, c*walIndexHeader+4*i)))
		}
	}
	runtime.KeepAlive(w)
	if h[0] != h[1] || h[0][0] != walIndexVersion {
		return 0, false
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&h[0])), walIndexHeader)
	return 1<<63 | maphash.Bytes(w.seed, b), true
}
