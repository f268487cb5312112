package web

import (
	"fmt"
	"strings"
	"testing"

	"varco.dev/varco"
)

// TestStepUpErrorText checks every step-up error reads well in both
// languages, with the attempts left and the wait spelled out.
func TestStepUpErrorText(t *testing.T) {
	withLeft := func(n int) error {
		e := varco.Errorf(varco.EInvalidCode, "wrong")
		e.AttemptsLeft = n
		return fmt.Errorf("verify: %w", e)
	}
	wait := func(code string, secs int) error {
		e := varco.Errorf(code, "wait")
		e.RetryAfter = secs
		return e
	}
	tests := []struct {
		lang string
		err  error
		want string
	}{
		{"en", withLeft(0), "The code is wrong or has expired."},
		{"en", withLeft(1), "The code is wrong or has expired. 1 attempt left before the account is locked."},
		{"en", withLeft(5), "The code is wrong or has expired. 5 attempts left before the account is locked."},
		{"it", withLeft(1), "Il codice è sbagliato o è scaduto. Ancora 1 tentativo, poi l'account verrà bloccato."},
		{"en", wait(varco.EOTPRateLimited, 42), "We have just sent you a code: wait before asking for another one. Try again in 42 seconds."},
		{"it", wait(varco.EOTPRateLimited, 1), "Ti abbiamo appena mandato un codice: aspetta prima di chiederne un altro. Riprova tra 1 secondo."},
		{"en", wait(varco.EOTPRateLimited, 3600), "Try again in 60 minutes."},
		{"en", wait(varco.ETooManyAttempts, 8), "Too many attempts. Try again in 8 seconds."},
		{"en", varco.Errorf(varco.EInvalid, "x"), "The code is the 6 digits we sent you."},
		{"it", varco.Errorf(varco.ENoCodeSent, "x"), "Chiedi prima un codice"},
		{"en", varco.Errorf(varco.EMethodUnavailable, "x"), "no verified phone number"},
		{"en", varco.Errorf(varco.EFlowNotFound, "x"), "please sign in again"},
		{"en", varco.Errorf(varco.EAccountLocked, "x"), "Contact support"},
	}
	for _, tt := range tests {
		got := stepUpErrorText(tt.lang, tt.err)
		if !strings.Contains(got, tt.want) || strings.Contains(got, "%!") || strings.Contains(got, "[[") {
			t.Errorf("%s %v: %q, want %q", tt.lang, tt.err, got, tt.want)
		}
	}
}
