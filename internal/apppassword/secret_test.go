package apppassword

import (
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 2000 {
		p, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != Length || strings.Trim(p, alphabet) != "" {
			t.Fatalf("%q is not %d lowercase letters", p, Length)
		}
		if seen[p] {
			t.Fatalf("%q generated twice", p)
		}
		seen[p] = true
		for _, r := range p {
			counts[r]++
		}
	}
	// 32,000 letters: each of the 26 expected about 1,231 times. A letter
	// never or far too often drawn means a broken sampler, not bad luck
	// (the bounds are more than 8 standard deviations away).
	for _, r := range alphabet {
		if c := counts[r]; c < 950 || c > 1550 {
			t.Errorf("letter %c drawn %d times in 32,000", r, c)
		}
	}
}

func TestFormatAndNormalize(t *testing.T) {
	if got := Format("abcdefghijklmnop"); got != "abcd efgh ijkl mnop" {
		t.Fatalf("Format = %q", got)
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"abcd efgh ijkl mnop", "abcdefghijklmnop", true},
		{"abcdefghijklmnop", "abcdefghijklmnop", true},
		{"ABCD EFGH IJKL MNOP", "abcdefghijklmnop", true},
		{" abcd\tefgh\u00a0ijkl mnop ", "abcdefghijklmnop", true},
		{"abcd efgh ijkl mno", "", false},
		{"abcd efgh ijkl mnopq", "", false},
		{"abcd-efgh-ijkl-mnop", "", false},
		{"abcd efgh ijkl mnø1", "", false},
		{"abcd efgh ijkl mn\x00p", "", false},
		{"", "", false},
		{strings.Repeat("a", 65), "", false},
		{"Verde-Prato-2026", "", false},
	} {
		got, err := Normalize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestHashAndCheck(t *testing.T) {
	k := &Keys{Current: "k1", Secrets: map[string][]byte{"k1": []byte(strings.Repeat("1", 32))}}
	id, sum, err := k.Hash("abcdefghijklmnop")
	if err != nil || id != "k1" {
		t.Fatal(id, err)
	}
	if !k.Check("abcdefghijklmnop", id, sum) || k.Check("abcdefghijklmnoq", id, sum) {
		t.Fatal("check")
	}
	// A new key: old hashes still check under theirs, new ones use it.
	k.Secrets["k2"], k.Current = []byte(strings.Repeat("2", 32)), "k2"
	if !k.Check("abcdefghijklmnop", "k1", sum) {
		t.Fatal("the old key's hash no longer checks after rotation")
	}
	id2, sum2, _ := k.Hash("abcdefghijklmnop")
	if id2 != "k2" || string(sum2) == string(sum) || k.Check("abcdefghijklmnop", "k3", sum2) {
		t.Fatal("rotation")
	}
	if _, _, err := (&Keys{}).Hash("abcdefghijklmnop"); err == nil {
		t.Fatal("hashed without a key")
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("abcd efgh ijkl mnop")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Normalize(in)
		if err == nil && (len(p) != Length || strings.Trim(p, alphabet) != "") {
			t.Fatalf("Normalize(%q) = %q", in, p)
		}
	})
}
