//go:build !unix

package store

import "errors"

// walIndex is not read on this system: ChangeVersion asks SQLite.
type walIndex struct{}

func openWALIndex(string) (*walIndex, error) { return nil, errors.New("wal index: not on this system") }

func (*walIndex) version() (uint64, bool) { return 0, false }
