package password

import (
	"context"
	"errors"
	"strings"
	"testing"

	"varco.dev/varco"
)

func TestPolicyCheck(t *testing.T) {
	const email = "mario.rossi@example.it"
	tests := []struct {
		name, pw, email, want string // want is the error code, "" for none
	}{
		{"empty", "", email, varco.EPasswordTooShort},
		{"7 ascii", "kv7Qzr2", email, varco.EPasswordTooShort},
		{"8 ascii", "kv7Qzr2x", email, ""},
		// 7 runes but 12 bytes: lengths count code points.
		{"7 runes multibyte", "äöüßé1x", email, varco.EPasswordTooShort},
		{"8 runes multibyte", "äöüßé1xy", email, ""},
		{"7 runes 4-byte", "😀😀😀😀😀a1", email, varco.EPasswordTooShort},
		{"256 runes", strings.Repeat("é", 255) + "1", email, ""},
		{"257 runes", strings.Repeat("é", 256) + "1", email, varco.EPasswordTooLong},
		{"256 runes 4-byte", strings.Repeat("𝒜", 255) + "1", email, ""},
		{"257 runes without digit", strings.Repeat("a", 257), email, varco.EPasswordTooLong},
		{"invalid utf-8", "abc\xffdef1", email, varco.EInvalid},
		{"invalid utf-8 short", "\xff", email, varco.EInvalid},
		{"letters only", "kvQzrxwpt", email, varco.EPasswordNeedsLetterDigit},
		{"unicode letters only", "pässwördü", email, varco.EPasswordNeedsLetterDigit},
		{"digits only", "739104826", email, varco.EPasswordNeedsLetterDigit},
		// Common, but the letter-and-digit rule comes first.
		{"common digits only", "12345678", email, varco.EPasswordNeedsLetterDigit},
		{"symbols and digits", "!!!!1234", email, varco.EPasswordNeedsLetterDigit},
		{"unicode letters and digit", "pässwörd1ü", email, ""},
		{"cyrillic and arabic-indic digits", "пароль٣٣", email, ""},
		{"cjk and digits", "密码密码密码12", email, ""},
		{"common", "password1", email, varco.EPasswordTooCommon},
		{"common upper case", "PASSWORD1", email, varco.EPasswordTooCommon},
		{"common mixed case", "PassWord1", email, varco.EPasswordTooCommon},
		{"common padded", "  password1 ", email, varco.EPasswordTooCommon},
		{"common qwerty", "qwerty123", email, varco.EPasswordTooCommon},
		{"common abc", "abc12345", email, varco.EPasswordTooCommon},
		{"contains local part", "mario.rossi2024", email, varco.EPasswordContainsEmail},
		{"contains local part upper case", "xxMARIO.ROSSIxx9", email, varco.EPasswordContainsEmail},
		{"equals local part", "Qz9kw7fh", "qz9kw7fh@example.it", varco.EPasswordContainsEmail},
		{"contains whole address", "mario.rossi@example.it1", email, varco.EPasswordContainsEmail},
		{"unicode local part", "JÜRGEN-2024x", "jürgen@example.de", varco.EPasswordContainsEmail},
		{"3-char local part", "xbob12345", "bob@example.it", varco.EPasswordContainsEmail},
		{"2-char local part is ignored", "xab12345q", "ab@example.it", ""},
		{"part of the local part is fine", "mario7kzq", email, ""},
		{"domain only is fine", "example7kzq", email, ""},
		{"no email", "kv7Qzr2x", "", ""},
		// Too common wins over containing the e-mail.
		{"common and local part", "password1", "password1@example.it", varco.EPasswordTooCommon},
	}
	p := DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.pw, tt.email)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.pw, err)
				}
				return
			}
			var ve *varco.Error
			if !errors.As(err, &ve) {
				t.Fatalf("Check(%q) = %v, want a *varco.Error", tt.pw, err)
			}
			if ve.Code != tt.want {
				t.Errorf("Check(%q) code = %q, want %q", tt.pw, ve.Code, tt.want)
			}
			if ve.Message == "" || strings.Contains(ve.Message, tt.pw) && tt.pw != "" {
				t.Errorf("message %q is empty or echoes the password", ve.Message)
			}
		})
	}
}

func TestPolicyCheckCustomLengths(t *testing.T) {
	p := Policy{MinLen: 12, MaxLen: 16}
	if code := varco.ErrorCode(p.Check("kv7Qzr2xabc", "")); code != varco.EPasswordTooShort {
		t.Errorf("11 runes with MinLen 12: %q", code)
	}
	if err := p.Check("kv7Qzr2xabcd", ""); err != nil {
		t.Errorf("12 runes: %v", err)
	}
	if code := varco.ErrorCode(p.Check("kv7Qzr2xabcdefghi", "")); code != varco.EPasswordTooLong {
		t.Errorf("17 runes with MaxLen 16: %q", code)
	}
	if msg := varco.ErrorMessage(p.Check("short1", "")); !strings.Contains(msg, "12") {
		t.Errorf("message %q does not name the minimum", msg)
	}
}

func TestCheckReuse(t *testing.T) {
	h := newTestHasher(HasherOptions{})
	ctx := context.Background()
	var history []string // newest first
	for _, pw := range []string{"old7", "old6", "old5", "old4", "old3", "old2", "old1"} {
		encoded, err := h.Hash(ctx, pw)
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, encoded)
	}
	p := DefaultPolicy()
	for _, pw := range []string{"old7", "old3"} {
		if code := varco.ErrorCode(p.CheckReuse(ctx, h, pw, history)); code != varco.EPasswordReused {
			t.Errorf("%s is among the last 5: code %q", pw, code)
		}
	}
	for _, pw := range []string{"old2", "old1", "new"} {
		if err := p.CheckReuse(ctx, h, pw, history); err != nil {
			t.Errorf("%s: %v", pw, err)
		}
	}
	if err := (Policy{HistoryDepth: 0}).CheckReuse(ctx, h, "old7", history); err != nil {
		t.Errorf("depth 0: %v", err)
	}
	// Hashes we cannot read yet do not block the change, and do not hide
	// a match further down.
	mixed := []string{"{SHA512-CRYPT}$6$x$y", "$argon2id$v=19$broken", history[0]}
	if code := varco.ErrorCode(p.CheckReuse(ctx, h, "old7", mixed)); code != varco.EPasswordReused {
		t.Errorf("after unreadable hashes: code %q", code)
	}
	if err := p.CheckReuse(ctx, h, "new", mixed); err != nil {
		t.Errorf("unreadable hashes: %v", err)
	}
	// Overload is reported, not mistaken for "not reused".
	done, cancel := context.WithCancel(ctx)
	cancel()
	if code := varco.ErrorCode(p.CheckReuse(done, h, "new", history)); code != varco.EOverloaded {
		t.Errorf("cancelled context: code %q", code)
	}
}
