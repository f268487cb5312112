//go:build testclock

package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv/mailservers"
)

// BenchmarkMailLoginRate is the load figure of SPEC §7.6 that
// scripts/bench-imap.sh prints (go test -bench MailLoginRate -benchtime 1x):
// IMAP logins per second through Dovecot's Lua passdb asking varco (an app
// password, 2-step verification on), next to the same Dovecot checking a
// local passwd-file ({PLAIN}: Dovecot's own cost, the ceiling; and
// {SHA512-CRYPT}, a usual local hash), with the auth cache off. Each
// client logs in, logs out and connects again for VARCO_BENCH_DURATION
// (default 10s); VARCO_BENCH_CLIENTS (default 16) clients at once.
// Its one run measures for the whole duration, whatever b.N; the figures
// are reported as metrics and RESULT lines.
func BenchmarkMailLoginRate(t *testing.B) {
	duration, clients := 10*time.Second, 16
	if d, err := time.ParseDuration(os.Getenv("VARCO_BENCH_DURATION")); err == nil && d > 0 {
		duration = d
	}
	if n, err := strconv.Atoi(os.Getenv("VARCO_BENCH_CLIENTS")); err == nil && n > 0 {
		clients = n
	}
	engine := os.Getenv("VARCO_BENCH_ENGINE")
	if engine == "" {
		engine = "sqlite"
	}
	m := mailservers.New(t)
	b := setupBlackbox(t, engine)
	b.serve(append(m.VarcoEnv(blackboxMailSecret), "VARCO_LOG_LEVEL=warn")...)
	const plainPW, cryptPW = "Plain-pw-2026", "Crypt-pw-2026"
	m.Start(t, b.url, blackboxMailSecret, mailservers.Options{NoProxy: true, NoCache: true,
		PasswdFile: "plain@local.test:{PLAIN}" + plainPW + "\n" +
			// doveadm pw -s SHA512-CRYPT -p Crypt-pw-2026
			"crypt@local.test:{SHA512-CRYPT}$6$VMUBlKj11EuSQHZ1$h9HcO7/7b.oW/RpMj1ArIsjRxLJEx5pRR1yFoN5QBh139ImczVLcGlo8Cn.qvgK4hwVgvfeiSh/oxr.c3ZHiw0\n"})
	key := filepath.Join(t.TempDir(), "mario.key")
	b.mustAuthenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", key)
	_, appPW := b.createAppPassword(b.pushSession("mario@acme.test", key), "bench", nil)

	addr := "127.0.0.1:" + strconv.Itoa(m.Port(mailservers.DovecotIMAP))
	runs := []struct{ name, user, pw string }{
		{"passwd-file {PLAIN}", "plain@local.test", plainPW},
		{"passwd-file {SHA512-CRYPT}", "crypt@local.test", cryptPW},
		{"Lua passdb -> varco", "mario@acme.test", appPW},
	}
	rates := map[string]float64{}
	for _, r := range runs {
		if err := imapLogin(addr, r.user, r.pw); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		ok, failed, elapsed := imapLoad(addr, r.user, r.pw, clients, duration)
		if failed > 0 {
			t.Errorf("%s: %d logins failed", r.name, failed)
		}
		rates[r.name] = float64(ok) / elapsed.Seconds()
		t.Logf("RESULT %-28s %8.1f logins/s (%d clients, %d logins in %v, %s)", r.name, rates[r.name], clients, ok, elapsed.Round(time.Millisecond), engine)
	}
	plain, crypt := rates[runs[2].name]/rates[runs[0].name], rates[runs[2].name]/rates[runs[1].name]
	t.Logf("RESULT ratio varco/passwd-file {PLAIN} %.2f, varco/passwd-file {SHA512-CRYPT} %.2f", plain, crypt)
	t.ReportMetric(rates[runs[2].name], "varco-logins/s")
	t.ReportMetric(plain, "ratio-to-plain")
	t.ReportMetric(crypt, "ratio-to-sha512-crypt")
}

// imapLoad runs clients IMAP login loops against addr for d and counts
// the logins that succeeded and failed.
func imapLoad(addr, user, pw string, clients int, d time.Duration) (ok, failed int64, elapsed time.Duration) {
	var nOK, nFail atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := imapLogin(addr, user, pw); err != nil {
					nFail.Add(1)
					continue
				}
				nOK.Add(1)
			}
		})
	}
	wg.Wait()
	return nOK.Load(), nFail.Load(), time.Since(start)
}

// imapLogin connects, signs in with LOGIN and logs out.
func imapLogin(addr, user, pw string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "* OK") {
		return fmt.Errorf("greeting %q: %v", line, err)
	}
	if _, err := fmt.Fprintf(c, "a LOGIN %q %q\r\nb LOGOUT\r\n", user, pw); err != nil {
		return err
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("login: %v", err)
		}
		if strings.HasPrefix(line, "a ") {
			if !strings.HasPrefix(line, "a OK") {
				return fmt.Errorf("login: %q", strings.TrimSpace(line))
			}
			return nil
		}
	}
}
