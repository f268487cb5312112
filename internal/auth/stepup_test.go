package auth

import (
	"testing"
)

// FuzzFlowID: validFlowID accepts only 43 base64url characters, which is
// what newFlowID makes.
func FuzzFlowID(f *testing.F) {
	id, _, err := newFlowID()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(id)
	f.Add("")
	f.Add(id + "=")
	f.Fuzz(func(t *testing.T, s string) {
		if !validFlowID(s) {
			return
		}
		if len(s) != flowIDLen {
			t.Fatalf("accepted %q", s)
		}
		for _, c := range []byte(s) {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
