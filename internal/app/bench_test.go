package app_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/testenv/fixture"
)

// The benchmarks behind docs/performance.md. Run them in one go so the
// numbers come from the same machine and moment:
//
//	go test -run '^$' -bench . -benchtime 5s ./internal/app/
//
// BenchmarkArgon2Raw is the ceiling for BenchmarkLoginHTTP (target ≥ 90 %),
// BenchmarkBareHandler the ceiling for BenchmarkMeHTTP (target ≥ 50 %).

func benchApp(b *testing.B) (*app.App, *httptest.Server) { return benchAppWith(b, nil) }

// benchAppWith is benchApp with its configuration changed by edit first.
func benchAppWith(b *testing.B, edit func(*config.Config)) (*app.App, *httptest.Server) {
	return benchAppOpts(b, edit, app.Options{}) // the real hashing cost
}

// benchAppOpts is benchAppWith with options.
func benchAppOpts(b *testing.B, edit func(*config.Config), opts app.Options) (*app.App, *httptest.Server) {
	b.Helper()
	cfg := fixture.Config(b, "sqlite")
	if edit != nil {
		edit(cfg)
	}
	a, err := app.New(context.Background(), cfg, opts)
	if err != nil {
		b.Fatal(err)
	}
	f := fixture.New(b, a.Admin, a.DB)
	f.Org("bench", "pro")
	f.User(admin.NewUser{Email: "load@bench.test", Password: "Bench-Mark-2026", Org: "bench"})
	srv := httptest.NewServer(a.Handler)
	b.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}

func client() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
}

func post(c *http.Client, url, body string) (int, []byte, error) {
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// BenchmarkArgon2Raw: argon2id hashes/s with all cores, nothing else.
func BenchmarkArgon2Raw(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := password.Verify("Bench-Mark-2026", rawHash); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

var rawHash = func() string {
	h, err := password.Hash("Bench-Mark-2026", password.DefaultParams)
	if err != nil {
		panic(err)
	}
	return h
}()

// BenchmarkLoginHTTP: successful POST /api/v1/login through the real HTTP
// server, SQLite, default argon2id parameters.
func BenchmarkLoginHTTP(b *testing.B) {
	_, srv := benchApp(b)
	benchLogins(b, srv)
}

// benchLogins signs in through srv from 4 callers per core until b.N.
func benchLogins(b *testing.B, srv *httptest.Server) {
	c := client()
	body := `{"email":"load@bench.test","password":"Bench-Mark-2026"}`
	b.SetParallelism(4) // enough callers to keep every hashing slot busy
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			st, out, err := post(c, srv.URL+"/api/v1/login", body)
			if err != nil || st != 200 {
				b.Errorf("login: %d %s %v", st, out, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkLoginOverhead: BenchmarkLoginHTTP with the tests' hash of a
// few microseconds, so that what a sign-in costs outside its hash stands
// out (ns/op times the cores is CPU per sign-in, the in-process client's
// included). In the server each hash sweeps its 19 MiB through the
// caches first, so the same work costs more there (docs/performance.md).
func BenchmarkLoginOverhead(b *testing.B) {
	_, srv := benchAppOpts(b, nil, app.Options{HashParams: &fixture.Hash})
	benchLogins(b, srv)
}

// BenchmarkMeHTTP: GET /api/v1/me with a Bearer token through the real server.
func BenchmarkMeHTTP(b *testing.B) {
	_, srv := benchApp(b)
	c := client()
	_, out, err := post(c, srv.URL+"/api/v1/login", `{"email":"load@bench.test","password":"Bench-Mark-2026"}`)
	if err != nil {
		b.Fatal(err)
	}
	tok := between(string(out), `"session_token":"`, `"`)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		for pb.Next() {
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("me: %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkBareHandler: a net/http handler that writes a small JSON body,
// measured the same way as BenchmarkMeHTTP.
func BenchmarkBareHandler(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"email":"load@bench.test"}`))
	}))
	defer srv.Close()
	c := client()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		for pb.Next() {
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkConcurrentLogins500 fires 500 logins at once and reports the
// process's peak resident memory (VmHWM), which must stay under 400 MiB:
// the hashing limiter keeps at most GOMAXPROCS argon2id buffers alive.
func BenchmarkConcurrentLogins500(b *testing.B) {
	_, srv := benchApp(b)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 500, MaxConnsPerHost: 500}}
	body := `{"email":"load@bench.test","password":"Bench-Mark-2026"}`
	var ok, overloaded int
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for j := 0; j < 500; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, _, _ := post(c, srv.URL+"/api/v1/login", body)
				mu.Lock()
				defer mu.Unlock()
				switch st {
				case 200:
					ok++
				case 503:
					overloaded++
				}
			}()
		}
		wg.Wait()
	}
	runtime.GC()
	b.ReportMetric(float64(peakRSSKiB())/1024, "peak-MiB")
	b.ReportMetric(float64(ok)/float64(b.N), "ok/round")
	b.ReportMetric(float64(overloaded)/float64(b.N), "503/round")
}

// peakRSSKiB reads VmHWM, the peak resident set size, from /proc.
func peakRSSKiB() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func between(s, a, z string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if j := strings.Index(s, z); j >= 0 {
		return s[:j]
	}
	return s
}

// BenchmarkWrongPasswordKnownVsUnknown answers a wrong password for a known
// e-mail and for an unknown one, alternately, and reports each path's
// median: they should be the same, so timing does not tell who exists. The
// throttle is cleared between attempts so every one reaches the hash.
func BenchmarkWrongPasswordKnownVsUnknown(b *testing.B) {
	a, srv := benchApp(b)
	c := client()
	ctx := context.Background()
	var known, unknown []time.Duration
	for i := 0; b.Loop(); i++ {
		email := "load@bench.test"
		if i%2 == 1 {
			email = "nobody@bench.test"
		}
		b.StopTimer()
		for _, k := range []string{"login:acct:" + email, "login:ip:127.0.0.1"} {
			if err := a.DB.ThrottleReset(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		code, body, err := post(c, srv.URL+"/api/v1/login", `{"email":"`+email+`","password":"Wrong-Guess-2026"}`)
		d := time.Since(start)
		if err != nil || code != http.StatusUnauthorized {
			b.Fatalf("login %s: %d %s %v", email, code, body, err)
		}
		if i%2 == 1 {
			unknown = append(unknown, d)
		} else {
			known = append(known, d)
		}
	}
	b.ReportMetric(float64(median(known).Microseconds())/1000, "known-ms")
	b.ReportMetric(float64(median(unknown).Microseconds())/1000, "unknown-ms")
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration{}, ds...)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkMeHandler: GET /api/v1/me through varco's whole handler chain
// (logging, headers, session cache, JSON) without the network, with its
// allocations: what a request costs varco beyond what net/http costs every
// handler, the bare one included.
func BenchmarkMeHandler(b *testing.B) {
	a, srv := benchApp(b)
	_, out, err := post(client(), srv.URL+"/api/v1/login", `{"email":"load@bench.test","password":"Bench-Mark-2026"}`)
	if err != nil {
		b.Fatal(err)
	}
	tok := between(string(out), `"session_token":"`, `"`)
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.RemoteAddr = "127.0.0.1:5555"
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := discardWriter{h: http.Header{}}
		a.Handler.ServeHTTP(&w, req)
		if w.status != 200 {
			b.Fatalf("me: %d", w.status)
		}
	}
}

// BenchmarkMailAuthHandler: POST /api/v1/mail/auth with a valid app
// password through varco's whole handler chain, without the network (the
// login already read: the mail login cache).
func BenchmarkMailAuthHandler(b *testing.B) {
	const secret = "mail-servers-secret-0123456789"
	a, srv := benchAppWith(b, func(c *config.Config) { c.MailAuthSecret = secret })
	c := client()
	_, out, err := post(c, srv.URL+"/api/v1/login", `{"email":"load@bench.test","password":"Bench-Mark-2026"}`)
	if err != nil {
		b.Fatal(err)
	}
	tok := between(string(out), `"session_token":"`, `"`)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if st, out, err := post(c, srv.URL+"/api/v1/authenticator/enroll", `{"email":"load@bench.test","password":"Bench-Mark-2026",`+
		`"public_key":"`+base64.RawURLEncoding.EncodeToString(pub)+`"}`); err != nil || st != 201 {
		b.Fatalf("enroll: %d %s %v", st, out, err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/me/app-passwords", strings.NewReader(`{"label":"Thunderbird"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	created, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pw := between(string(created), `"password":"`, `"`)
	body := `{"username":"load@bench.test","password":"` + pw + `","protocol":"imap","client_ip":"203.0.113.9"}`
	do := func() int {
		r := httptest.NewRequest("POST", "/api/v1/mail/auth", strings.NewReader(body))
		r.RemoteAddr = "127.0.0.1:5555"
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("Content-Type", "application/json")
		w := discardWriter{h: http.Header{}}
		a.Handler.ServeHTTP(&w, r)
		return w.status
	}
	for range 3 { // the first logins write their last use and success event
		if st := do(); st != 200 {
			b.Fatalf("mail auth: %d", st)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if st := do(); st != 200 {
			b.Fatalf("mail auth: %d", st)
		}
	}
}

// discardWriter is the least a handler can write to.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(200)
	return len(p), nil
}
