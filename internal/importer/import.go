package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"varco.dev/varco"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

// Formats accepted by Options.Format.
const (
	FormatCSV    = "csv"
	FormatPasswd = "passwd"
)

// maxNameLen bounds a display name, in bytes.
const maxNameLen = 200

// DefaultBatch is how many accounts go into one transaction.
const DefaultBatch = 1000

// Options configure Run.
type Options struct {
	Format string // FormatCSV or FormatPasswd
	Org    string // passwd files: every account's organization (required)
	Lang   string // varco.LangIT (default) or varco.LangEN
	DryRun bool   // validate everything, write nothing
	Batch  int    // accounts a transaction; DefaultBatch when 0
	Now    func() time.Time
	// OnError gets each bad line; an error it returns stops the import.
	OnError func(*LineError) error
	// OnProgress, when set, is called after each batch.
	OnProgress func(Stats)
}

// Stats counts an import's outcome.
type Stats struct {
	Lines    int // physical lines read (last line number seen)
	Imported int // accounts created (in a dry run: valid and not existing)
	Skipped  int // accounts already present (or repeated in the input)
	Errors   int // bad lines
}

// hashScheme names the format of a stored hash we accept, or "" (with a
// reason) when it is not accepted. The reason never contains the hash.
func hashScheme(h string) (string, string) {
	if h == "" {
		return "", "no password hash"
	}
	if s := password.LegacyScheme(h); s != "" {
		return s, ""
	}
	if _, _, _, err := password.ParseHash(h); err == nil {
		return password.SchemeArgon2id, ""
	}
	if strings.HasPrefix(h, "{") {
		if name, _, ok := strings.Cut(h[1:], "}"); ok && len(name) <= 32 && safeToken(name) {
			return "", fmt.Sprintf("unsupported hash scheme {%s}", name)
		}
	}
	if strings.HasPrefix(h, "$") {
		if id, _, ok := strings.Cut(h[1:], "$"); ok && len(id) <= 16 && safeToken(id) {
			return "", fmt.Sprintf("unsupported or malformed hash ($%s$)", id)
		}
	}
	return "", "unsupported hash scheme (plaintext or unknown format)"
}

func safeToken(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return s != ""
}

// Validate checks and normalizes rec (everything except the organization
// and the phone, which need the database). It returns the reason rec is rejected, or "".
func Validate(rec *Record) string {
	for _, f := range []string{rec.Email, rec.Name, rec.Phone, rec.ContactEmail, rec.Org, rec.Hash} {
		if !utf8.ValidString(f) {
			return "not valid UTF-8"
		}
	}
	// The one rule for untrusted text (internal/text): no control or
	// text-direction character in any field, NUL included, which
	// PostgreSQL would refuse and fail the whole batch with.
	for _, f := range []struct{ name, value string }{{"e-mail", rec.Email}, {"name", rec.Name}, {"phone", rec.Phone},
		{"contact e-mail", rec.ContactEmail}, {"organization", rec.Org}, {"password hash", rec.Hash}} {
		if _, err := text.Identifier(f.name, f.value); err != nil {
			return "control character or direction mark in " + f.name
		}
	}
	rec.Email = varco.NormalizeEmail(rec.Email)
	if rec.Email == "" {
		return "missing e-mail address"
	}
	if !varco.ValidEmail(rec.Email) {
		return "invalid e-mail address"
	}
	rec.Name = strings.TrimSpace(rec.Name)
	if len(rec.Name) > maxNameLen {
		return fmt.Sprintf("name longer than %d bytes", maxNameLen)
	}
	// The phone is normalised by Run: how a number without its country
	// code reads depends on the organization's country.
	rec.Phone = strings.TrimSpace(rec.Phone)
	rec.ContactEmail = varco.NormalizeEmail(rec.ContactEmail)
	if rec.ContactEmail != "" && !varco.ValidEmail(rec.ContactEmail) {
		return "invalid contact e-mail address"
	}
	rec.Org = strings.TrimSpace(rec.Org)
	rec.Hash = strings.TrimSpace(rec.Hash)
	if _, reason := hashScheme(rec.Hash); reason != "" {
		return reason
	}
	return ""
}

// Run reads r in opts.Format, validates each line and imports the good ones
// into db in batches. Bad lines go to opts.OnError and are counted; Run
// fails only on a bad CSV header, an I/O or database error, or ctx ending.
// Batches already committed stay: a re-run skips them (idempotent).
func Run(ctx context.Context, db *store.DB, r io.Reader, opts Options) (Stats, error) {
	var st Stats
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	opts.Batch = min(opts.Batch, store.MaxImportBatch)
	if opts.Lang == "" {
		opts.Lang = varco.LangIT
	}
	if opts.Lang != varco.LangIT && opts.Lang != varco.LangEN {
		return st, fmt.Errorf("unknown language %q (it, en)", opts.Lang)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	onErr := opts.OnError
	if onErr == nil {
		onErr = func(*LineError) error { return nil }
	}
	var parse func(io.Reader, func(Record) error, func(*LineError) error) error
	switch opts.Format {
	case FormatCSV:
		parse = ParseCSV
	case FormatPasswd:
		parse = ParsePasswd
		if strings.TrimSpace(opts.Org) == "" {
			return st, errors.New("a passwd file needs --org: its lines name no organization")
		}
	default:
		return st, fmt.Errorf("unknown format %q (csv, passwd)", opts.Format)
	}

	orgs := map[string]*varco.Org{} // by name, nil when it does not exist
	orgByName := func(name string) (*varco.Org, error) {
		if o, ok := orgs[name]; ok {
			return o, nil
		}
		o, err := db.Reader().OrgByName(ctx, name)
		switch {
		case err == nil:
			orgs[name] = o
			return o, nil
		case varco.ErrorCode(err) == varco.ENotFound:
			orgs[name] = nil
			return nil, nil
		}
		return nil, err
	}
	if opts.Format == FormatPasswd {
		o, err := orgByName(strings.TrimSpace(opts.Org))
		if err != nil {
			return st, err
		}
		if o == nil {
			return st, fmt.Errorf("organization %q not found", opts.Org)
		}
	}

	report := func(le *LineError) error {
		st.Errors++
		return onErr(le)
	}
	batch := make([]store.ImportAccount, 0, opts.Batch)
	seen := map[string]bool{} // dry run: e-mails already counted
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if opts.DryRun {
			emails := make([]string, len(batch))
			for i, a := range batch {
				emails[i] = a.Email
			}
			have, err := db.Reader().ExistingEmails(ctx, emails)
			if err != nil {
				return err
			}
			for _, e := range emails {
				if have[e] || seen[e] {
					st.Skipped++
				} else {
					seen[e] = true
					st.Imported++
				}
			}
		} else {
			created, skipped, err := db.ImportAccounts(ctx, batch, opts.Now())
			if err != nil {
				return err
			}
			st.Imported += created
			st.Skipped += skipped
		}
		batch = batch[:0]
		if opts.OnProgress != nil {
			opts.OnProgress(st)
		}
		return nil
	}
	emit := func(rec Record) error {
		st.Lines = rec.Line
		if opts.Format == FormatPasswd {
			rec.Org = opts.Org
		}
		if reason := Validate(&rec); reason != "" {
			return report(&LineError{Line: rec.Line, Reason: reason})
		}
		if rec.Org == "" {
			return report(&LineError{Line: rec.Line, Reason: "missing organization"})
		}
		org, err := orgByName(rec.Org)
		if err != nil {
			return err
		}
		if org == nil {
			return report(&LineError{Line: rec.Line, Reason: fmt.Sprintf("organization %q not found", clip(rec.Org, 64))})
		}
		if rec.Phone != "" {
			if rec.Phone, err = varco.NormalizePhone(rec.Phone, org.Country); err != nil {
				return report(&LineError{Line: rec.Line, Reason: "phone number not in E.164 form nor a valid number of the organization's country"})
			}
		}
		batch = append(batch, store.ImportAccount{OrgID: org.ID, Email: rec.Email, DisplayName: rec.Name,
			Phone: rec.Phone, ContactEmail: rec.ContactEmail, Lang: opts.Lang, PasswordHash: rec.Hash})
		if len(batch) >= opts.Batch {
			return flush()
		}
		return nil
	}
	err := parse(r, emit, func(le *LineError) error {
		st.Lines = le.Line
		return report(le)
	})
	if err != nil {
		return st, err
	}
	return st, flush()
}

// clip shortens s to at most n bytes (on a rune boundary) for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
