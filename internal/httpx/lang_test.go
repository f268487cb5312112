package httpx

import (
	"errors"
	"fmt"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/i18n"
)

// TestLocalizedMessage: an error with a catalogue key reads in the asked
// language (its English text is its Message, for the CLI); one without a
// key reads its code's text in Italian and its own message in English; an
// internal error says nothing of its cause.
func TestLocalizedMessage(t *testing.T) {
	keyed := varco.E(varco.EPasswordTooShort, "error.password_min", 12)
	wrapped := fmt.Errorf("change password: %w", keyed)
	plain := varco.Errorf(varco.ENotFound, "account not found")
	internal := errors.New("dial tcp 10.0.0.1: secret detail")
	tests := []struct {
		name string
		err  error
		lang string
		want string
	}{
		{"keyed it", keyed, varco.LangIT, "La password deve avere almeno 12 caratteri."},
		{"keyed en", keyed, varco.LangEN, "The password must be at least 12 characters long."},
		{"wrapped it", wrapped, varco.LangIT, "La password deve avere almeno 12 caratteri."},
		{"no key it", plain, varco.LangIT, i18n.T(varco.LangIT, "err.not_found")},
		{"no key en", plain, varco.LangEN, "account not found"},
		{"internal it", internal, varco.LangIT, i18n.T(varco.LangIT, "err.internal")},
		{"internal en", internal, varco.LangEN, "Internal error."},
	}
	for _, tt := range tests {
		if got := LocalizedMessage(tt.err, tt.lang); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if keyed.Message != "The password must be at least 12 characters long." {
		t.Errorf("Message = %q, want the English text", keyed.Message)
	}
	if r := varco.Recode(keyed, varco.EInvalid); r.Code != varco.EInvalid || LocalizedMessage(r, varco.LangIT) != tests[0].want {
		t.Errorf("Recode lost the message: %+v", r)
	}
}
