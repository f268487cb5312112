// Package importer reads users and their legacy password hashes from a CSV
// file or a Dovecot passwd-file (SPEC §2.1, §9 "varco import"), validates
// every line, and writes the good ones through store.ImportAccounts in
// batches. A bad line is reported (a *LineError) and skipped; it never stops
// the import and never leaves anything half-written.
package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxLineLen bounds one input line. A longer line is an error for that line;
// the parser skips to the next newline without holding the rest in memory.
const MaxLineLen = 64 << 10

// Record is one parsed line, not yet validated (see Validate).
type Record struct {
	Line         int
	Email        string
	Name         string
	Phone        string
	ContactEmail string
	Org          string
	Hash         string
}

// LineError is a problem with one input line. Reason never contains a
// password hash.
type LineError struct {
	Line   int
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// CSVHeader is the header row a CSV import must start with.
var CSVHeader = []string{"email", "name", "phone", "contact_email", "org", "password_hash"}

// ErrBadHeader means the CSV input does not start with CSVHeader.
var ErrBadHeader = errors.New("CSV header must be: " + strings.Join(CSVHeader, ","))

// lineReader yields physical lines, at most MaxLineLen bytes each.
type lineReader struct {
	r    *bufio.Reader
	line int
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, MaxLineLen+1)}
}

// next returns the next line without its newline (and a trailing \r), or
// tooLong when it exceeded MaxLineLen (the rest is discarded). err is io.EOF
// at the end, or an I/O error.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	b, err := lr.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		lr.line++
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = lr.r.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, true, err
		}
		return nil, true, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	if errors.Is(err, io.EOF) && len(b) == 0 {
		return nil, false, io.EOF
	}
	lr.line++
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, false, nil
}

// lineCheck reports a problem common to both formats, or "".
func lineCheck(line []byte, tooLong bool) string {
	switch {
	case tooLong:
		return fmt.Sprintf("line longer than %d bytes", MaxLineLen)
	case !utf8.Valid(line):
		return "not valid UTF-8"
	}
	return ""
}

// ParseCSV reads CSV input: a header row (CSVHeader, exactly), then one
// account a line. A record must fit on one line (no newlines inside quoted
// fields). emit gets each well-formed record; onErr each bad line. ParseCSV
// returns ErrBadHeader, an I/O error, or the first error emit or onErr
// returns; bad lines alone never make it fail.
func ParseCSV(r io.Reader, emit func(Record) error, onErr func(*LineError) error) error {
	lr := newLineReader(r)
	header := true
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			if header {
				return ErrBadHeader
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("read input: %w", err)
		}
		if header {
			if tooLong {
				return ErrBadHeader
			}
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // a UTF-8 BOM
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			f, err := csvFields(line)
			if err != nil || len(f) != len(CSVHeader) {
				return ErrBadHeader
			}
			for i, h := range CSVHeader {
				if !strings.EqualFold(strings.TrimSpace(f[i]), h) {
					return ErrBadHeader
				}
			}
			header = false
			continue
		}
		if reason := lineCheck(line, tooLong); reason != "" {
			if err := onErr(&LineError{Line: lr.line, Reason: reason}); err != nil {
				return err
			}
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		f, err := csvFields(line)
		if err != nil {
			if err := onErr(&LineError{Line: lr.line, Reason: err.Error()}); err != nil {
				return err
			}
			continue
		}
		rec := Record{Line: lr.line, Email: f[0], Name: f[1], Phone: f[2], ContactEmail: f[3], Org: f[4], Hash: f[5]}
		if err := emit(rec); err != nil {
			return err
		}
	}
}

// csvFields parses one CSV line strictly (no lazy quotes, 6 fields).
func csvFields(line []byte) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(line))
	cr.FieldsPerRecord = len(CSVHeader)
	cr.LazyQuotes = false
	f, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
			return nil, fmt.Errorf("want %d fields, got %d", len(CSVHeader), len(f))
		case errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote)):
			return nil, fmt.Errorf("broken CSV quoting at column %d", pe.Column)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errors.New("broken CSV quoting (unterminated quoted field)")
		}
		return nil, errors.New("malformed CSV line")
	}
	// A quoted field left open swallows the line end; csv then reports EOF
	// inside quotes as ErrQuote, handled above. Anything after the record
	// on the same line would be a second record:
	if _, err := cr.Read(); !errors.Is(err, io.EOF) {
		return nil, errors.New("broken CSV quoting (more than one record on the line)")
	}
	return f, nil
}

// ParsePasswd reads a Dovecot passwd-file:
//
//	user:{SCHEME}hash:uid:gid:gecos:home:shell:extra_fields
//
// user is the login e-mail; gecos, when present, becomes the display name;
// the other fields are ignored. Empty lines and lines starting with # are
// skipped. Records carry no org: the caller supplies it.
func ParsePasswd(r io.Reader, emit func(Record) error, onErr func(*LineError) error) error {
	lr := newLineReader(r)
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read input: %w", err)
		}
		if reason := lineCheck(line, tooLong); reason != "" {
			if err := onErr(&LineError{Line: lr.line, Reason: reason}); err != nil {
				return err
			}
			continue
		}
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		user, rest, ok := strings.Cut(s, ":")
		if !ok {
			if err := onErr(&LineError{Line: lr.line, Reason: "no password field (want user:{SCHEME}hash:…)"}); err != nil {
				return err
			}
			continue
		}
		hash, rest, _ := strings.Cut(rest, ":")
		rec := Record{Line: lr.line, Email: user, Hash: hash}
		// uid, gid, gecos
		if _, rest, ok = strings.Cut(rest, ":"); ok {
			if _, rest, ok = strings.Cut(rest, ":"); ok {
				gecos, _, _ := strings.Cut(rest, ":")
				rec.Name = gecos
			}
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
}
