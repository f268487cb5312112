package api_test

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
)

// TestMailCacheFlushCommand: SPEC §7.6 with VARCO_DOVECOT_CACHE_FLUSH set —
// turning 2-step verification on (the account password stops working for
// mail), deleting and rotating an app password, changing the mail access,
// turning 2-step verification off, a lockout and a disabling each run the
// command with the account's login name appended, in the background;
// creating an app password does not.
func TestMailCacheFlushCommand(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			lines, cmd := flushCommand(t)
			h := newHarness(t, engine, withMailSecret, fixture.TrustLoopback, func(c *config.Config) { c.DovecotCacheFlush = cmd + " auth cache flush" })
			standard(h)
			const email = "mario@acme.test"
			tok := h.login(email, marioPW)
			waitFlush := flushWaiter(t, lines, email)
			device := h.enroll(email, marioPW)
			waitFlush("after 2-step verification on")

			r := h.do("POST", "/api/v1/me/app-passwords", tok, map[string]string{"label": "Thunderbird"})
			id := strconv.FormatInt(int64(r.body["id"].(float64)), 10)
			r2 := h.do("POST", "/api/v1/me/app-passwords", tok, map[string]string{"label": "Phone"})
			if r.status != 201 || r2.status != 201 {
				t.Fatalf("create: %d %s / %d %s", r.status, r.raw, r2.status, r2.raw)
			}
			if r := h.do("POST", "/api/v1/me/app-passwords/"+id+"/rotate", tok, nil); r.status != 201 {
				t.Fatalf("rotate: %d %s", r.status, r.raw)
			}
			waitFlush("after a rotation")
			if r := h.do("DELETE", "/api/v1/me/app-passwords/"+id, tok, nil); r.status != 204 {
				t.Fatalf("delete: %d %s", r.status, r.raw)
			}
			waitFlush("after a deletion")
			if r := h.do("PUT", "/api/v1/me/mail-access", tok, map[string]bool{"imap": true, "pop3": false, "smtp": true}); r.status != 200 {
				t.Fatalf("mail access: %d %s", r.status, r.raw)
			}
			waitFlush("after a change of mail access")
			if r := h.do("POST", "/api/v1/authenticator/logout", device, nil); r.status != 204 {
				t.Fatalf("authenticator logout: %d %s", r.status, r.raw)
			}
			waitFlush("after 2-step verification off")

			// A lockout (five wrong PINs) and a disabling by support end the
			// account's mail logins too.
			flow := h.awayFlow()
			pin := h.sendPIN(flow)
			for range 5 {
				h.verify(flow, wrong(pin))
			}
			waitFlush("after the lockout")
			support := h.login("help@provider.test", "Assist-Desk-2026")
			a, err := h.app.DB.AccountByEmail(t.Context(), email)
			if err != nil {
				t.Fatal(err)
			}
			if r := h.do("POST", "/api/v1/admin/users/"+strconv.FormatInt(a.ID, 10)+"/disable", support, nil); r.status != 200 {
				t.Fatalf("disable: %d %s", r.status, r.raw)
			}
			waitFlush("after the account was disabled")
			select {
			case l := <-lines:
				t.Fatalf("one more flush: %q", l)
			default:
			}
		})
	}
}

// TestMailCacheFlushedOnPasswordChange: SPEC §7.6 — a change of the account
// password and a reset through the e-mailed link each run the flush command
// for the account: the old password may be what Dovecot cached for a mail
// client without 2-step verification. A failed change does not.
func TestMailCacheFlushedOnPasswordChange(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			lines, cmd := flushCommand(t)
			h := newHarness(t, engine, fixture.TrustLoopback, func(c *config.Config) { c.DovecotCacheFlush = cmd + " auth cache flush" })
			standard(h)
			const email = "mario@acme.test"
			waitFlush := flushWaiter(t, lines, email)
			tok := h.login(email, marioPW)
			if r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": "wrong-" + marioPW,
				"new_password": "Changed-pass-2026"}); r.status == 200 {
				t.Fatalf("a wrong current password changed it: %s", r.raw)
			}
			if r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW,
				"new_password": "Changed-pass-2026"}); r.status != 200 {
				t.Fatalf("change: %d %s", r.status, r.raw)
			}
			waitFlush("after a password change")
			if r := h.complete(h.resetToken(email, 1), "Reset-pass-2026"); r.status != 200 {
				t.Fatalf("reset: %d %s", r.status, r.raw)
			}
			waitFlush("after a password reset")
			select {
			case l := <-lines:
				t.Fatalf("one more flush: %q", l)
			default:
			}
		})
	}
}

// flushWaiter returns a function that waits for the next line of the
// flush command (flushCommand), which must name email.
func flushWaiter(t *testing.T, lines <-chan string, email string) func(what string) {
	return func(what string) {
		t.Helper()
		select {
		case l := <-lines:
			if l != "auth cache flush "+email {
				t.Fatalf("%s: the command got %q", what, l)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the flush command did not run", what)
		}
	}
}

// flushCommand returns a flush command that sends each run's arguments,
// as one line, to the channel.
func flushCommand(t *testing.T) (<-chan string, string) {
	t.Helper()
	dir := t.TempDir()
	fifo, cmd := filepath.Join(dir, "flushed"), filepath.Join(dir, "flush.sh")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cmd, []byte("#!/bin/sh\nprintf '%s\\n' \"$*\" > "+fifo+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	var closing atomic.Bool
	go func() {
		for !closing.Load() {
			f, err := os.Open(fifo) // until a run opens it to write
			if err != nil {
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if l != "" && !closing.Load() {
					lines <- l
				}
			}
		}
	}()
	t.Cleanup(func() {
		closing.Store(true)
		// Opening a FIFO read-write never blocks, and lets a reader
		// waiting in open go.
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	})
	return lines, cmd
}
