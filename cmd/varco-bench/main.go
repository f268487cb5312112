// Command varco-bench is the load side of scripts/bench-http.sh: the
// ceilings (a bare net/http JSON handler, raw argon2id verifications) and a
// login client. It is a separate binary so that nothing of it ships in
// varco. It only talks to loopback addresses.
//
//	varco-bench bare  -listen 127.0.0.1:0           # serves until killed; prints its address
//	varco-bench argon2 [-impl varco|xcrypto] -d 10s  # raw verifications/s on every core
//	varco-bench login -url http://127.0.0.1:8080 -email … -password … -c 32 -d 10s
//	varco-bench mailauth -url … -secret … -user … -password … -rate 2000 -d 10s [-ips 256]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/testenv"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: varco-bench bare|argon2|login|mailauth [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "bare":
		err = bare(os.Args[2:])
	case "argon2":
		err = argon2Rate(os.Args[2:])
	case "login":
		err = login(os.Args[2:])
	case "mailauth":
		err = mailAuth(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "varco-bench:", err)
		os.Exit(1)
	}
}

// bare serves the ceiling for GET /api/v1/me: a handler that writes a small
// JSON body, nothing else.
func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to listen on")
	_ = fs.Parse(args)
	if err := loopback(*listen); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Println(ln.Addr().String())
	body := []byte(`{"id":1,"email":"load@bench.test","status":"active"}`)
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
}

// argon2Rate verifies one hash of varco's default parameters on every core
// for the given time and prints verifications/s. -impl varco (the ceiling
// of a sign-in) verifies through a password.Hasher with a slot per core, so
// each hash runs on its slot's kept memory exactly as in the server;
// -impl xcrypto runs golang.org/x/crypto/argon2, the implementation varco
// used before its own, for comparison.
func argon2Rate(args []string) error {
	fs := flag.NewFlagSet("argon2", flag.ExitOnError)
	d := fs.Duration("d", 10*time.Second, "how long")
	impl := fs.String("impl", "varco", "varco or xcrypto")
	_ = fs.Parse(args)
	const pw = "Bench-Mark-2026"
	p := password.DefaultParams
	enc, err := password.Hash(pw, p)
	if err != nil {
		return err
	}
	_, salt, key, err := password.ParseHash(enc)
	if err != nil {
		return err
	}
	cores := runtime.GOMAXPROCS(0)
	var verify func() bool
	switch *impl {
	case "varco":
		h := password.NewHasher(password.HasherOptions{Params: p, MaxConcurrent: cores})
		verify = func() bool {
			ok, err := h.Verify(context.Background(), pw, enc)
			return ok && err == nil
		}
	case "xcrypto":
		verify = func() bool {
			return bytes.Equal(argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen), key)
		}
	default:
		return fmt.Errorf("-impl %q: want varco or xcrypto", *impl)
	}
	var n atomic.Int64
	stop := time.Now().Add(*d)
	var wg sync.WaitGroup
	start := time.Now()
	for range cores {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if !verify() {
					panic("argon2: the password does not verify")
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	fmt.Printf("argon2id %.1f hashes/s\n", float64(n.Load())/time.Since(start).Seconds())
	return nil
}

// login runs c clients, each signing in over and over for d, and prints the
// successful logins/s, the answers by status and the latency percentiles of
// the successful ones. A client answered 503 waits the Retry-After the
// service asked for, as a well-behaved client does, before trying again.
func login(args []string) error {
	fs := flag.NewFlagSet("login", flag.ExitOnError)
	base := fs.String("url", "", "varco base URL (loopback)")
	email := fs.String("email", "", "account e-mail")
	pw := fs.String("password", "", "account password")
	c := fs.Int("c", 8, "concurrent clients")
	accounts := fs.Int("accounts", 1, "accounts to sign in as: client i uses the e-mail with i mod accounts inserted before the @ (load@x becomes load0@x, load1@x, …); 1 means the e-mail as given")
	d := fs.Duration("d", 10*time.Second, "how long")
	_ = fs.Parse(args)
	u, err := url.Parse(*base)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if err := loopback(u.Host); err != nil {
		return err
	}
	if *accounts < 1 {
		return errors.New("-accounts must be at least 1")
	}
	bodies := make([][]byte, *accounts)
	for k := range bodies {
		e := *email
		if *accounts > 1 {
			local, domain, ok := strings.Cut(e, "@")
			if !ok {
				return fmt.Errorf("-email %q has no @", e)
			}
			e = local + strconv.Itoa(k) + "@" + domain
		}
		bodies[k], _ = json.Marshal(map[string]string{"email": e, "password": *pw})
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: *c, MaxConnsPerHost: *c, DisableCompression: true}}

	type result struct {
		status int
		took   time.Duration
	}
	results := make([][]result, *c)
	ctx, cancel := context.WithTimeout(context.Background(), *d)
	defer cancel()
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for i := range *c {
		body := bodies[i%len(bodies)]
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequest("POST", *base+"/api/v1/login", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					time.Sleep(100 * time.Millisecond)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took := time.Since(t0)
				if time.Since(start) > *d {
					return // answered after the window: not counted
				}
				results[i] = append(results[i], result{resp.StatusCode, took})
				if resp.StatusCode == http.StatusServiceUnavailable {
					wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
					select {
					case <-ctx.Done():
					case <-time.After(time.Duration(max(wait, 1)) * time.Second):
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := min(time.Since(start), *d).Seconds()
	byStatus := map[int]int{}
	var ok []time.Duration
	for _, rs := range results {
		for _, r := range rs {
			byStatus[r.status]++
			if r.status == http.StatusOK {
				ok = append(ok, r.took)
			}
		}
	}
	slices.Sort(ok)
	pct := func(p float64) float64 { return percentileMS(ok, p) }
	fmt.Printf("logins c=%d ok_per_s=%.1f p50_ms=%.0f p90_ms=%.0f p99_ms=%.0f max_ms=%.0f", *c,
		float64(len(ok))/elapsed, pct(0.50), pct(0.90), pct(0.99), pct(1))
	printStatuses(byStatus)
	fmt.Printf(" transport_errors=%d ok=%d client_cpu_us_per_login=%.0f\n", failed.Load(), len(ok),
		float64(testenv.ProcessCPU().Microseconds())/float64(max(len(ok), 1)))
	if len(ok) == 0 {
		return errors.New("no successful login")
	}
	return nil
}

// loopback refuses anything but a loopback host: this tool is a load
// generator and must never be pointed elsewhere.
func loopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", hostport)
	}
	return nil
}

// mailAuth sends POST /api/v1/mail/auth open loop: requests are scheduled
// at a fixed rate whatever the answers, and each latency is measured from
// its scheduled time, so a slow answer delays nobody's clock (no
// coordinated omission; Debian's wrk has no rate limit). It prints the
// answers by status, the p50/p90/p99/max latency of all of them and its
// own CPU time per request; scripts/openloop.c, the cheaper client that
// bench-mailauth.sh uses by default, takes the same flags and prints the
// same line. With -ips N the client IPs cycle through N addresses of
// 10.77.0.0/16 (a guessing bot's many sources); otherwise 198.51.100.7.
func mailAuth(args []string) error {
	fs := flag.NewFlagSet("mailauth", flag.ExitOnError)
	base := fs.String("url", "", "varco base URL (loopback)")
	secret := fs.String("secret", "", "VARCO_MAIL_AUTH_SECRET")
	user := fs.String("user", "", "mailbox")
	pw := fs.String("password", "", "password to send")
	rate := fs.Int("rate", 1000, "requests per second")
	d := fs.Duration("d", 10*time.Second, "how long")
	ips := fs.Int("ips", 0, "cycle through this many client IPs (0: one)")
	workers := fs.Int("c", 256, "most requests in flight")
	_ = fs.Parse(args)
	u, err := url.Parse(*base)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if err := loopback(u.Host); err != nil {
		return err
	}
	if *rate <= 0 {
		return errors.New("rate must be positive")
	}
	// Requests written whole, answers read by hand on kept connections: a
	// client on the same cores as varco must cost far less than net/http's
	// client does per request, or it is the client whose queue shows.
	reqs := make([][]byte, max(*ips, 1))
	for i := range reqs {
		ip := "198.51.100.7"
		if *ips > 0 {
			ip = fmt.Sprintf("10.77.%d.%d", i/250, 1+i%250)
		}
		body, _ := json.Marshal(map[string]string{"username": *user, "password": *pw, "protocol": "imap", "client_ip": ip})
		reqs[i] = fmt.Appendf(nil, "POST /api/v1/mail/auth HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", u.Host, *secret, len(body), body)
	}
	type result struct {
		status int
		took   time.Duration
	}
	total := int(d.Seconds() * float64(*rate))
	results := make([]result, total)
	jobs := make(chan int, total)
	interval := time.Second / time.Duration(*rate)
	start := time.Now()
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			var c *rawConn
			for i := range jobs {
				due := start.Add(time.Duration(i) * interval)
				if w := time.Until(due); w > 0 {
					time.Sleep(w)
				}
				if c == nil {
					var err error
					if c, err = dialRaw(u.Host); err != nil {
						results[i] = result{status: -1, took: time.Since(due)}
						continue
					}
				}
				status, err := c.do(reqs[i%len(reqs)])
				if err != nil {
					c.close()
					c = nil
					status = -1
				}
				results[i] = result{status: status, took: time.Since(due)}
			}
			if c != nil {
				c.close()
			}
		})
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	byStatus := map[int]int{}
	all := make([]time.Duration, 0, total)
	for _, r := range results {
		byStatus[r.status]++
		all = append(all, r.took)
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return percentileMS(all, p) }
	fmt.Printf("mailauth rate=%d sent=%d answered_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.1f", *rate, total,
		float64(total)/elapsed, pct(0.50), pct(0.90), pct(0.99), pct(1))
	printStatuses(byStatus)
	fmt.Printf(" client_cpu_us_per_req=%.1f\n", float64(testenv.ProcessCPU().Microseconds())/float64(max(total, 1)))
	return nil
}

// percentileMS returns the p-th quantile (0..1) of sorted latencies in
// milliseconds, 0 for none.
func percentileMS(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Seconds() * 1000
}

// printStatuses prints " status_N=count" for each status seen, in order;
// a negative status is a transport error.
func printStatuses(byStatus map[int]int) {
	for _, st := range slices.Sorted(maps.Keys(byStatus)) {
		name := strconv.Itoa(st)
		if st < 0 {
			name = "transport_error"
		}
		fmt.Printf(" status_%s=%d", name, byStatus[st])
	}
}

// rawConn is a kept HTTP/1.1 connection that sends requests written whole
// and reads answers that carry a Content-Length, as varco's do.
type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRaw(addr string) (*rawConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawConn{c: c, r: bufio.NewReaderSize(c, 4096)}, nil
}

func (rc *rawConn) close() { _ = rc.c.Close() }

// do sends req and reads its answer, returning its status.
func (rc *rawConn) do(req []byte) (int, error) {
	if err := rc.c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := rc.c.Write(req); err != nil {
		return 0, err
	}
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h := bytes.TrimSpace(line)
		if len(h) == 0 {
			break
		}
		if name, value, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if length < 0 {
		return 0, errors.New("answer without a Content-Length")
	}
	if _, err := rc.r.Discard(length); err != nil {
		return 0, err
	}
	return status, nil
}
