package i18n_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/i18n"
)

// dynamicKeys are the key families code builds from a prefix and a value
// (label(lang, "role.", a.Role)); each lists the values that exist, so that
// a key of a family no value names is still reported as unused.
var dynamicKeys = map[string][]string{
	"month.short.": {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
	"month.long.":  {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
	"weekday.":     {"0", "1", "2", "3", "4", "5", "6"},
	"lang.":        {varco.LangIT, varco.LangEN},
	"role.":        {varco.RoleUser, varco.RoleOrgAdmin, varco.RoleSupport},
	"status.":      {varco.StatusActive, varco.StatusSuspended, varco.StatusLocked, varco.StatusDisabled},
	"plan.":        {varco.PlanBasic, varco.PlanPro, varco.PlanPremium},
	"actor.":       {varco.ActorSelf, varco.ActorAdmin, varco.ActorSupport, varco.ActorSystem, varco.ActorReset},
	// outcomes, and the tones the history gives some failures
	"outcome.": {varco.OutcomeSuccess, varco.OutcomeFailure, "warning", "danger"},
	// the in-app alert kinds (SPEC §8)
	"alert.":     {"password_expiry", "suspension_coming", "account_locked", "account_unlocked", "new_login", "contact_changed", "app_password_expiry"},
	"appname.":   {"account_management", "api", "authenticator", "customer_area", "mail_panel", "support_portal", "webmail"},
	"err.title.": {"400", "403", "404", "500"},
	// why no app password can be generated, and the mail protocols
	"apppw.blocked.": {varco.ETwoFactorRequired, varco.ENoMailProtocol},
	"apppw.proto.":   {varco.ProtocolIMAP, varco.ProtocolPOP3, varco.ProtocolSMTP},
	// why an account locked (store lock reasons)
	"admin.lock_reason.": {"otp_total", "pin_consecutive", "pin_total"},
	// the web's message of each error code
	"err.": errorCodes,
}

// errorCodes are the error codes of the contract (SPEC §9).
var errorCodes = []string{varco.EInternal, varco.EInvalid, varco.ENotFound, varco.EConflict, varco.EForbidden,
	varco.EUnauthorized, varco.EOverloaded, varco.EInvalidCredentials, varco.EAccountLocked,
	varco.EAccountSuspended, varco.EAccountDisabled, varco.ETooManyAttempts, varco.EPasswordChangeRequire,
	varco.EInvalidOrExpiredToken, varco.EInvalidCode, varco.EOTPRateLimited, varco.ENoCodeSent,
	varco.EFlowNotFound, varco.EMethodUnavailable, varco.EInvalidInput, varco.EPasswordTooShort,
	varco.EPasswordTooLong, varco.EPasswordNeedsLetterDigit, varco.EPasswordTooCommon,
	varco.EPasswordContainsEmail, varco.EPasswordReused, varco.EInvalidPhone}

// literal matches Go and template string literals, "…" and `…`.
var literal = regexp.MustCompile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"|`([^`]*)`")

// action matches a template action, {{…}}.
var action = regexp.MustCompile(`\{\{.*?\}\}`)

// scanned are the extensions of the files that name keys: Go code and the
// templates of pages (.html), e-mails (.tmpl) and SMS (.txt).
var scanned = map[string]bool{".go": true, ".html": true, ".tmpl": true, ".txt": true}

// usedLiterals collects every string literal of the module's code and
// templates, tests excluded.
func usedLiterals(t *testing.T) map[string]bool {
	t.Helper()
	root := filepath.Join("..", "..")
	used := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "locales") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(p)
		if strings.HasSuffix(p, "_test.go") || !scanned[ext] {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		src := string(b)
		if ext != ".go" {
			// In a template only the actions name keys: an attribute's
			// quotes around {{.T "key"}} must not pair with the key's.
			src = strings.Join(action.FindAllString(src, -1), "\n")
		}
		for _, m := range literal.FindAllStringSubmatch(src, -1) {
			used[m[1]+m[2]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// TestEveryKeyIsUsed: a key that no code or template names fails. A key is
// named by a literal holding it whole, or, for the families in dynamicKeys,
// by its prefix together with one of the family's values. Keys built from
// a prefix elsewhere name their family here.
func TestEveryKeyIsUsed(t *testing.T) {
	used := usedLiterals(t)
	for family, values := range dynamicKeys {
		if !used[family] {
			t.Errorf("key family %q is listed as dynamic but no code names it", family)
		}
		for _, v := range values {
			used[family+v] = true
		}
	}
	for _, key := range i18n.Keys(i18n.EN) {
		if !used[key] {
			t.Errorf("key %q is in the catalogue but no code or template uses it", key)
		}
	}
}

// TestUnusedKeyIsFound: the scan does report a key nobody names.
func TestUnusedKeyIsFound(t *testing.T) {
	used := usedLiterals(t)
	if used["zz.never.used"] {
		t.Fatal("the scan found a key that no code has")
	}
	if !used["date.short"] {
		t.Fatal("the scan missed a key the web uses")
	}
	if !used["mail.greeting"] || !used["sms.otp_sent"] {
		t.Fatal("the scan missed a key the e-mail or SMS templates use")
	}
}

// errorKey matches the literal of an error message's key, as varco.E
// takes it.
var errorKey = regexp.MustCompile(`^error\.[a-z0-9_]+$`)

// TestEveryErrorKeyExists: an error message's key that code names but the
// catalogue lacks would show the key itself to the user.
func TestEveryErrorKeyExists(t *testing.T) {
	for _, lang := range []string{i18n.EN, i18n.IT} {
		have := map[string]bool{}
		for _, k := range i18n.Keys(lang) {
			have[k] = true
		}
		for lit := range usedLiterals(t) {
			if errorKey.MatchString(lit) && !have[lit] {
				t.Errorf("%s: code names %q, which the catalogue lacks", lang, lit)
			}
		}
	}
}
