package importer_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"varco.dev/varco/internal/importer"
)

const (
	shaHash  = "{SHA512-CRYPT}$6$Ab12Cd34$uufiZhLYgxmbngrwwzswWttptPUmQOTSW5.lCvsVbeQLhonXMPA6tHp8bnQ014aaGbTzNADZ3EHeukla0olo0."
	bcrypt   = "$2y$05$MBGhWdNwcA8ponEqeaTazuyJ7VpRWAcaQuAaTLyCsBmBr4J7Gsdhm"
	csvHead  = "email,name,phone,contact_email,org,password_hash\n"
	hashTail = "uufiZhLYgxmbngrwwzswWttptPUmQOTSW5"
)

// collect parses in with parse and returns the validated records and errors
// (validation as Run does it, minus the organization lookup).
func collect(t *testing.T, parse func(io.Reader, func(importer.Record) error, func(*importer.LineError) error) error, in io.Reader) ([]importer.Record, []*importer.LineError, error) {
	t.Helper()
	var recs []importer.Record
	var errs []*importer.LineError
	err := parse(in, func(r importer.Record) error {
		if reason := importer.Validate(&r); reason != "" {
			errs = append(errs, &importer.LineError{Line: r.Line, Reason: reason})
			return nil
		}
		recs = append(recs, r)
		return nil
	}, func(le *importer.LineError) error {
		errs = append(errs, le)
		return nil
	})
	return recs, errs, err
}

func TestParseCSV(t *testing.T) {
	for _, tt := range []struct {
		name     string
		in       string
		records  int
		errLine  int
		reason   string // substring of the line error's reason
		fatalErr error
	}{
		{"good", csvHead + "Mario@Acme.test, Mario ,+393471234567,m@home.test,acme," + shaHash + "\n", 1, 0, "", nil},
		{"crlf and bom", "\xef\xbb\xbf" + strings.ReplaceAll(csvHead, "\n", "\r\n") + "a@acme.test,A,,,acme," + bcrypt + "\r\n", 1, 0, "", nil},
		{"quoted comma", csvHead + `"a@acme.test","Rossi, Mario",,,acme,{BLF-CRYPT}` + bcrypt + "\n", 1, 0, "", nil},
		{"broken quoting", csvHead + `"a@acme.test,A,,,acme,` + bcrypt + "\n", 0, 2, "quoting", nil},
		{"bare quote", csvHead + `a@acme.test,A "x",,,acme,` + bcrypt + "\n", 0, 2, "quoting", nil},
		{"too few fields", csvHead + "a@acme.test,A\n", 0, 2, "want 6 fields, got 2", nil},
		{"too many fields", csvHead + "a@acme.test,A,,,acme," + bcrypt + ",x\n", 0, 2, "want 6 fields", nil},
		{"invalid utf-8", csvHead + "a@acme.test,\xff\xfe,,,acme," + bcrypt + "\n", 0, 2, "UTF-8", nil},
		// The phone is normalised in Run, with the organization's country.
		{"national phone", csvHead + "a@acme.test,A, 347 123 4567 ,,acme," + bcrypt + "\n", 1, 0, "", nil},
		{"bad e-mail", csvHead + "nobody,A,,,acme," + bcrypt + "\n", 0, 2, "invalid e-mail", nil},
		{"bad contact", csvHead + "a@acme.test,A,,x@,acme," + bcrypt + "\n", 0, 2, "contact e-mail", nil},
		{"plaintext", csvHead + "a@acme.test,A,,,acme,{PLAIN}secret\n", 0, 2, "unsupported hash scheme {PLAIN}", nil},
		{"unknown scheme", csvHead + "a@acme.test,A,,,acme,{SSHA}abcd\n", 0, 2, "unsupported hash scheme {SSHA}", nil},
		{"no hash", csvHead + "a@acme.test,A,,,acme,\n", 0, 2, "no password hash", nil},
		{"bare unknown", csvHead + "a@acme.test,A,,,acme,secret\n", 0, 2, "unsupported hash scheme", nil},
		{"control in name", csvHead + "a@acme.test,A\x01,,,acme," + bcrypt + "\n", 0, 2, "control character", nil},
		{"no header", "a@acme.test,A,,,acme," + bcrypt + "\n", 0, 0, "", importer.ErrBadHeader},
		{"empty", "", 0, 0, "", importer.ErrBadHeader},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs, errs, err := collect(t, importer.ParseCSV, strings.NewReader(tt.in))
			if !errors.Is(err, tt.fatalErr) {
				t.Fatalf("err = %v, want %v", err, tt.fatalErr)
			}
			if len(recs) != tt.records {
				t.Fatalf("records = %+v, want %d", recs, tt.records)
			}
			if tt.reason == "" {
				if len(errs) != 0 {
					t.Fatalf("unexpected line errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Line != tt.errLine || !strings.Contains(errs[0].Reason, tt.reason) {
				t.Fatalf("line errors = %v, want line %d: …%s…", errs, tt.errLine, tt.reason)
			}
			if strings.Contains(errs[0].Error(), "MBGhWdNw") || strings.Contains(errs[0].Error(), hashTail) || strings.Contains(errs[0].Error(), "secret") {
				t.Fatalf("line error echoes a hash: %v", errs[0])
			}
		})
	}
}

func TestParseCSVGoodRecordFields(t *testing.T) {
	recs, errs, err := collect(t, importer.ParseCSV, strings.NewReader(csvHead+"Mario@Acme.test, Mario Rossi ,+393471234567,M@Home.test,acme,"+shaHash+"\n"))
	if err != nil || len(errs) != 0 || len(recs) != 1 {
		t.Fatalf("%v %v %v", recs, errs, err)
	}
	want := importer.Record{Line: 2, Email: "mario@acme.test", Name: "Mario Rossi", Phone: "+393471234567",
		ContactEmail: "m@home.test", Org: "acme", Hash: shaHash}
	if recs[0] != want {
		t.Fatalf("record = %+v\nwant %+v", recs[0], want)
	}
}

// A 10 MB line is one line error; the parser resumes at the next line and
// never holds the long line in memory.
func TestHugeLineResyncs(t *testing.T) {
	huge := bytes.Repeat([]byte("x"), 10<<20)
	for _, tt := range []struct {
		name  string
		parse func(io.Reader, func(importer.Record) error, func(*importer.LineError) error) error
		head  string
		line  string
	}{
		{"csv", importer.ParseCSV, csvHead, "a@acme.test,A,,,acme," + bcrypt + "\n"},
		{"passwd", importer.ParsePasswd, "", "a@acme.test:" + bcrypt + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := io.MultiReader(strings.NewReader(tt.head+tt.line), bytes.NewReader(huge), strings.NewReader("\n"+tt.line))
			recs, errs, err := collect(t, tt.parse, in)
			if err != nil || len(recs) != 2 || len(errs) != 1 || !strings.Contains(errs[0].Reason, "longer than") {
				t.Fatalf("records %d, errors %v, err %v", len(recs), errs, err)
			}
			head := 0
			if tt.head != "" {
				head = 1
			}
			if errs[0].Line != head+2 || recs[1].Line != head+3 {
				t.Fatalf("line numbers: error %d, record %d", errs[0].Line, recs[1].Line)
			}
		})
	}
}

func TestParsePasswd(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		records  int
		reason   string
	}{
		{"dovecot line", "Mario@acme.test:" + shaHash + ":1000:1000:Mario Rossi:/var/mail/m::userdb_quota_rule=*:storage=1G\n", 1, ""},
		{"user and hash only", "a@acme.test:{BLF-CRYPT}" + bcrypt, 1, ""},
		{"bare sha512", "a@acme.test:" + strings.TrimPrefix(shaHash, "{SHA512-CRYPT}") + "::::::\n", 1, ""},
		{"comments and blanks", "# header\n\n   \n", 0, ""},
		{"no password field", "a@acme.test\n", 0, "no password field"},
		{"plain", "a@acme.test:{PLAIN}secret:1:1::/::\n", 0, "unsupported hash scheme {PLAIN}"},
		{"md5", "a@acme.test:{MD5-CRYPT}$1$abcdefgh$abcdefghijklmnopqrstuv\n", 0, "unsupported hash scheme {MD5-CRYPT}"},
		{"mismatched prefix", "a@acme.test:{SHA512-CRYPT}" + bcrypt + "\n", 0, "unsupported hash scheme {SHA512-CRYPT}"},
		{"bad e-mail", "mario:" + shaHash + "\n", 0, "invalid e-mail"},
		{"invalid utf-8", "a\xff@acme.test:" + shaHash + "\n", 0, "UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs, errs, err := collect(t, importer.ParsePasswd, strings.NewReader(tt.in))
			if err != nil || len(recs) != tt.records {
				t.Fatalf("records %+v, err %v", recs, err)
			}
			if tt.reason == "" && len(errs) > 0 || tt.reason != "" && (len(errs) != 1 || !strings.Contains(errs[0].Reason, tt.reason)) {
				t.Fatalf("line errors %v, want …%s…", errs, tt.reason)
			}
		})
	}
	recs, _, _ := collect(t, importer.ParsePasswd, strings.NewReader("Mario@acme.test:"+shaHash+":1000:1000:Mario Rossi:/home::\n"))
	if recs[0].Email != "mario@acme.test" || recs[0].Name != "Mario Rossi" || recs[0].Hash != shaHash {
		t.Fatalf("record = %+v", recs[0])
	}
}

func TestSampleFiles(t *testing.T) {
	for _, tt := range []struct {
		file    string
		parse   func(io.Reader, func(importer.Record) error, func(*importer.LineError) error) error
		records int
		lines   []int
	}{
		// The organization and phone checks need the database: "nowhere"
		// (line 9) and the bad phone (line 6) fail in Run, not here.
		{"testdata/import/sample.csv", importer.ParseCSV, 6, []int{7, 8, 10, 11}},
		{"testdata/import/sample.passwd", importer.ParsePasswd, 4, []int{7, 8, 9}},
	} {
		f, err := os.Open(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		recs, errs, err := collect(t, tt.parse, f)
		f.Close()
		var lines []int
		for _, e := range errs {
			lines = append(lines, e.Line)
		}
		if err != nil || len(recs) != tt.records || !equalInts(lines, tt.lines) {
			t.Errorf("%s: %d records, error lines %v (%v), err %v", tt.file, len(recs), lines, errs, err)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
