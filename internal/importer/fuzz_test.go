package importer_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"varco.dev/varco/internal/importer"
)

// checkParse runs parse on data and checks the invariants every input must
// keep: no panic, line numbers increasing, records valid UTF-8, and a line
// error never longer than a short message (so it cannot echo a hash).
func checkParse(t *testing.T, parse func([]byte, func(importer.Record) error, func(*importer.LineError) error) error, data []byte) {
	last := 0
	_ = parse(data, func(r importer.Record) error {
		if r.Line <= last {
			t.Fatalf("record line %d after %d", r.Line, last)
		}
		last = r.Line
		if reason := importer.Validate(&r); reason == "" {
			for _, f := range []string{r.Email, r.Name, r.Phone, r.ContactEmail, r.Org, r.Hash} {
				if !utf8.ValidString(f) {
					t.Fatalf("valid record with invalid UTF-8: %q", f)
				}
			}
			if r.Hash == "" || strings.Contains(r.Hash, "\n") {
				t.Fatalf("valid record with hash %q", r.Hash)
			}
		} else if len(reason) > 120 {
			t.Fatalf("reason too long: %q", reason)
		}
		return nil
	}, func(le *importer.LineError) error {
		if le.Line <= last {
			t.Fatalf("error line %d after %d", le.Line, last)
		}
		last = le.Line
		if len(le.Reason) > 120 || !utf8.ValidString(le.Reason) {
			t.Fatalf("bad reason %q", le.Reason)
		}
		return nil
	})
}

func seed(f *testing.F, file string) {
	b, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, line := range bytes.Split(b, []byte("\n")) {
		f.Add(line)
	}
}

func FuzzParseCSV(f *testing.F) {
	seed(f, "testdata/import/sample.csv")
	f.Add([]byte(csvHead + `"a@b.test","x""y",,,"o",` + bcrypt + "\r\n"))
	f.Add([]byte(csvHead + "\"\n\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, func(b []byte, emit func(importer.Record) error, onErr func(*importer.LineError) error) error {
			return importer.ParseCSV(bytes.NewReader(b), emit, onErr)
		}, append([]byte(csvHead), data...))
	})
}

func FuzzParsePasswd(f *testing.F) {
	seed(f, "testdata/import/sample.passwd")
	f.Add([]byte("a@b.test:{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, func(b []byte, emit func(importer.Record) error, onErr func(*importer.LineError) error) error {
			return importer.ParsePasswd(bytes.NewReader(b), emit, onErr)
		}, data)
	})
}
