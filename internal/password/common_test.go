package password

import (
	"testing"
	"unicode/utf8"
)

// commonListSize is the entry count docs/dependencies.md reports; change
// both when the list is rebuilt.
const commonListSize = 414830

func TestCommonListSize(t *testing.T) {
	if n := CommonCount(); n != commonListSize {
		t.Errorf("CommonCount = %d, want %d (update docs/dependencies.md too)", n, commonListSize)
	}
	if CommonCount() < 100_000 {
		t.Error("SPEC §2.2 asks for at least 100k common passwords")
	}
}

func TestCommonListWellFormed(t *testing.T) {
	CommonCount()
	prev := ""
	for i := range common.offs {
		e := commonEntry(i)
		if i > 0 && e <= prev {
			t.Fatalf("entry %d %q is not after %q: binary search needs a sorted, unique list", i, e, prev)
		}
		if e == "" || !utf8.ValidString(e) || normalizeCommon(e) != e {
			t.Fatalf("entry %d %q is empty, not UTF-8 or not normalized", i, e)
		}
		prev = e
	}
}

func TestIsCommon(t *testing.T) {
	for _, pw := range []string{"123456", "password", "password1", "Password1", " PASSWORD1 ", "qwerty", "iloveyou", "abc123", "1qaz2wsx", "trustno1", "contraseña"} {
		if !IsCommon(pw) {
			t.Errorf("IsCommon(%q) = false", pw)
		}
	}
	for _, pw := range []string{"", " ", "kv7Qzr2x", "pässwörd1ü", "correct horse battery staple 42"} {
		if IsCommon(pw) {
			t.Errorf("IsCommon(%q) = true", pw)
		}
	}
	// The first and last entries are found too: no off-by-one at the ends.
	first, last := commonEntry(0), commonEntry(len(common.offs)-1)
	if !IsCommon(first) || !IsCommon(last) {
		t.Errorf("first %q or last %q entry not found", first, last)
	}
}

func BenchmarkIsCommon(b *testing.B) {
	CommonCount()
	for b.Loop() {
		IsCommon("Sunshine2024")
	}
}
