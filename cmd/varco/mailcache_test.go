package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"varco.dev/varco/internal/testenv"
)

// TestCLIDisableFlushesMailCache: SPEC §7.6 — `varco user disable` runs no
// background work, yet runs the Dovecot auth cache flush command for the
// account before it exits; a command that changes nothing of it does not.
func TestCLIDisableFlushesMailCache(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			log, script := filepath.Join(dir, "flushed"), filepath.Join(dir, "flush.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$*\" >> "+log+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			c := newCLI(t, engine)
			c.env["VARCO_DOVECOT_CACHE_FLUSH"] = script + " auth cache flush"
			c.must("", "migrate")
			c.must("", "org", "create", "--name", "acme", "--plan", "pro")
			c.must("Rossi-Verde-2026\n", "user", "create", "--email", "mario@acme.test", "--password-stdin", "--org", "acme")
			c.must("", "user", "show", "--email", "mario@acme.test")
			if b, err := os.ReadFile(log); err == nil || len(b) > 0 {
				t.Fatalf("flushed before the disable: %q %v", b, err)
			}
			c.must("", "user", "disable", "--email", "mario@acme.test")
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatalf("the flush command did not run: %v", err)
			}
			if got := strings.TrimSpace(string(b)); got != "auth cache flush mario@acme.test" {
				t.Fatalf("the command got %q", got)
			}
		})
	}
}
