// Command varco-pushbench is the load side of scripts/bench-push.sh: it
// seeds a fresh database with N accounts, each with a command-line device
// and a sign-in waiting for its approval; starts one or two `varco serve`
// processes on it; opens N waiting event streams (GET /login/push/events,
// as N browsers on the push waiting page); reports the extra resident
// memory of the varco process holding them; then approves sign-ins one at
// a time with signed decisions and reports the delay from each decision
// to the event on its waiting stream. It only talks to loopback.
//
//	varco-pushbench -varco ./varco -db /tmp/b.db -streams 10000 -decisions 200
//	varco-pushbench -varco ./varco -db postgres://…/postgres -streams 10000 -decisions 200 -processes 2
//
// With -processes 2 (PostgreSQL) the streams are on the first process and
// the decisions go half to it and half to the second, whose notification
// must reach the first through PostgreSQL.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"varco.dev/varco"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "varco-pushbench:", err)
		os.Exit(1)
	}
}

// waiter is one sign-in waiting for its device, and its stream.
type waiter struct {
	flow     string // the flow id: the browser's cookie
	token    string // the device token
	decision push.Decision
	arrived  chan time.Time // the stream's state event
}

func run() error {
	varcoBin := flag.String("varco", "./varco", "the varco binary")
	dbURL := flag.String("db", "", "SQLite file to create, or a postgres:// URL (a fresh database is created beside it)")
	streams := flag.Int("streams", 10000, "waiting event streams to open")
	decisions := flag.Int("decisions", 200, "sign-ins to approve, one at a time")
	processes := flag.Int("processes", 1, "varco processes (2 needs PostgreSQL)")
	heapFile := flag.String("heap-profile", "", "with -pprof, write the first varco's heap profile with the streams open to this file")
	pprofAddr := flag.String("pprof", "", "the first varco's VARCO_PPROF_LISTEN (a -tags pprof build): print its memory statistics with the streams open")
	flag.Parse()
	if *dbURL == "" || *decisions > *streams || *processes < 1 || *processes > 2 {
		return errors.New("want -db, -decisions ≤ -streams and -processes 1 or 2")
	}
	ctx := context.Background()
	work, err := os.MkdirTemp("", "varco-pushbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	dbu := *dbURL
	if strings.HasPrefix(dbu, "postgres") {
		fresh, drop, err := freshPostgres(ctx, dbu)
		if err != nil {
			return err
		}
		defer drop()
		dbu = fresh
	} else if *processes > 1 {
		return errors.New("two processes need PostgreSQL")
	}

	start := time.Now()
	waiters, err := seed(ctx, dbu, *streams)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d accounts, devices and waiting sign-ins in %v\n", len(waiters), time.Since(start).Round(time.Millisecond))

	var procs []*varcoProc
	for i := 0; i < *processes; i++ {
		env := []string{}
		if i == 0 && *pprofAddr != "" {
			env = append(env, "VARCO_PPROF_LISTEN="+*pprofAddr)
		}
		p, err := startVarco(*varcoBin, dbu, filepath.Join(work, fmt.Sprintf("audit-%d", i)), env...)
		if err != nil {
			return err
		}
		defer p.stop()
		procs = append(procs, p)
	}
	a := procs[0]

	// Warm up the process, then its resident memory before the streams.
	hc := &http.Client{Timeout: 10 * time.Second}
	for range 50 {
		if resp, err := hc.Get(a.url + "/healthz"); err == nil {
			resp.Body.Close()
		}
	}
	time.Sleep(2 * time.Second)
	rssBefore, err := rss(a.cmd.Process.Pid)
	if err != nil {
		return err
	}

	// Open every stream, 100 at a time.
	tr := &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}
	sc := &http.Client{Transport: tr}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var opened, failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 100)
	start = time.Now()
	for _, w := range waiters {
		sem <- struct{}{}
		wg.Add(1)
		ready := make(chan struct{})
		go func() {
			defer wg.Done()
			if err := stream(sctx, sc, a.url, w, ready); err != nil && sctx.Err() == nil {
				failed.Add(1)
			}
		}()
		go func() {
			select {
			case <-ready:
				opened.Add(1)
			case <-sctx.Done():
			}
			<-sem
		}()
	}
	for opened.Load()+failed.Load() < int64(len(waiters)) {
		time.Sleep(50 * time.Millisecond)
	}
	openTime := time.Since(start)
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d streams failed to open", f, len(waiters))
	}
	time.Sleep(3 * time.Second)
	rssOpen, err := rss(a.cmd.Process.Pid)
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		// Where the memory is: the Go runtime's own statistics.
		if resp, err := hc.Get("http://" + *pprofAddr + "/debug/pprof/heap?debug=1"); err == nil {
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				for _, k := range []string{"HeapInuse", "HeapIdle", "HeapReleased", "Stack", "MSpan", "GCSys", "OtherSys", "NumGC", "Sys"} {
					if strings.HasPrefix(sc.Text(), "# "+k+" ") {
						fmt.Fprintln(os.Stderr, sc.Text())
					}
				}
			}
			resp.Body.Close()
		}
		if *heapFile != "" {
			if resp, err := hc.Get("http://" + *pprofAddr + "/debug/pprof/heap"); err == nil {
				if f, err := os.Create(*heapFile); err == nil {
					_, _ = io.Copy(f, resp.Body)
					f.Close()
				}
				resp.Body.Close()
			}
		}
		if resp, err := hc.Get("http://" + *pprofAddr + "/debug/pprof/goroutine?debug=1"); err == nil {
			line, _ := bufio.NewReader(resp.Body).ReadString('\n')
			fmt.Fprint(os.Stderr, line)
			resp.Body.Close()
		}
	}
	extra := float64(rssOpen-rssBefore) / (1 << 20)
	fmt.Printf("streams=%d open_s=%.1f rss_before_mib=%.1f rss_open_mib=%.1f extra_rss_mib=%.1f per_stream_kib=%.1f\n",
		len(waiters), openTime.Seconds(), float64(rssBefore)/(1<<20), float64(rssOpen)/(1<<20), extra, extra*1024/float64(len(waiters)))

	// Approve sign-ins one at a time; with two processes, the second half
	// of the decisions goes to the second.
	phases := []struct {
		name string
		to   *varcoProc
		n    int
	}{{"same_process", a, *decisions}}
	if len(procs) == 2 {
		phases = []struct {
			name string
			to   *varcoProc
			n    int
		}{{"same_process", a, *decisions / 2}, {"other_process", procs[1], *decisions - *decisions/2}}
	}
	next := 0
	for _, ph := range phases {
		delays := make([]time.Duration, 0, ph.n)
		for range ph.n {
			w := waiters[next]
			next++
			t0 := time.Now()
			if err := decide(hc, ph.to.url, w); err != nil {
				return err
			}
			select {
			case t1 := <-w.arrived:
				delays = append(delays, t1.Sub(t0))
			case <-time.After(30 * time.Second):
				return fmt.Errorf("%s: no event on the stream 30 s after the decision", ph.name)
			}
		}
		slices.Sort(delays)
		q := func(p int) float64 { return float64(delays[(len(delays)-1)*p/100]) / float64(time.Millisecond) }
		fmt.Printf("phase=%s decisions=%d waiting_streams=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
			ph.name, len(delays), len(waiters)-next+len(delays), q(50), q(90), q(99), q(100))
	}
	cancel()
	wg.Wait()
	return nil
}

// stream opens the waiting page's event stream of w, closes ready when
// it is open and records when its state event arrives.
func stream(ctx context.Context, c *http.Client, base string, w *waiter, ready chan struct{}) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/login/push/events", nil)
	if err != nil {
		close(ready)
		return err
	}
	req.AddCookie(&http.Cookie{Name: "varco_login_flow", Value: w.flow})
	resp, err := c.Do(req)
	if err != nil {
		close(ready)
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		close(ready)
		return fmt.Errorf("stream: %s", resp.Status)
	}
	rd := bufio.NewReader(resp.Body)
	first := true
	for {
		line, err := rd.ReadString('\n')
		if first {
			first = false
			close(ready)
		}
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "event: state") {
			w.arrived <- time.Now()
			_, _ = io.Copy(io.Discard, rd)
			return nil
		}
	}
}

// decide sends w's signed approval, as the command-line authenticator
// does.
func decide(c *http.Client, base string, w *waiter) error {
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/authenticator/requests/"+url.PathEscape(w.decision.RequestID)+"/decision",
		bytes.NewReader(push.EncodeDecision(w.decision)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(push.StatusApproved)) {
		return fmt.Errorf("decision: %s %s", resp.Status, body)
	}
	return nil
}

// seed creates n accounts, each with a device (one Ed25519 key for all)
// and a sign-in waiting for its approval, straight in the database, and
// returns them with their signed approvals. The requests last an hour,
// so that none expires during the run.
func seed(ctx context.Context, dbURL string, n int) ([]*waiter, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	sign := func(m []byte) []byte { return ed25519.Sign(priv, m) }
	now := time.Now()
	org := &varco.Org{Name: "pushbench", Plan: varco.PlanPro, CreatedAt: now}
	if err := db.CreateOrg(ctx, org); err != nil {
		return nil, err
	}
	rules := push.New(push.Config{RecoveryCodes: 1})
	out := make([]*waiter, 0, n)
	const batch = 500
	for lo := 0; lo < n; lo += batch {
		err := db.InTx(ctx, func(q *store.Q) error {
			for i := lo; i < min(lo+batch, n); i++ {
				a := &varco.Account{OrgID: org.ID, Email: fmt.Sprintf("user%d@pushbench.test", i), Lang: "it", Role: varco.RoleUser,
					Status: varco.StatusActive, PasswordHash: "unused", PasswordChangedAt: now, CreatedAt: now}
				if err := q.CreateAccount(ctx, a); err != nil {
					return err
				}
				e, err := rules.Enroll(ctx, q, a.ID, pub, now)
				if err != nil {
					return err
				}
				flow, flowHash, err := varco.NewToken()
				if err != nil {
					return err
				}
				f := &store.LoginFlow{FlowHash: flowHash, AccountID: a.ID, State: varco.StatePushRequired, Application: "webmail",
					IP: "192.0.2.7", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				if err := q.CreateLoginFlow(ctx, f); err != nil {
					return err
				}
				var id [16]byte
				nonce := make([]byte, 32)
				_, _ = rand.Read(id[:])
				_, _ = rand.Read(nonce)
				c := push.Context{Application: "webmail", IP: "192.0.2.7", Time: now.Truncate(time.Second)}
				r := &store.PushRequest{PublicID: base64.RawURLEncoding.EncodeToString(id[:]), AccountID: a.ID, DeviceID: e.Device.ID,
					Purpose: push.PurposeLogin, FlowID: f.ID, Number: "417", Nonce: nonce, Application: c.Application, IP: c.IP,
					ContextHash: c.Hash(), Status: push.StatusPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				if err := q.InsertPushRequest(ctx, r); err != nil {
					return err
				}
				d := push.Sign(sign, push.Decision{RequestID: r.PublicID, Decision: push.DecisionApprove, Number: "417"}, nonce, r.ContextHash)
				out = append(out, &waiter{flow: flow, token: e.Token, decision: d, arrived: make(chan time.Time, 1)})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	return out, nil
}

// freshPostgres creates an empty database on the server of base and
// returns its URL and a function that drops it.
func freshPostgres(ctx context.Context, base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "pushbench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}, nil
}

type varcoProc struct {
	cmd *exec.Cmd
	url string
}

// startVarco runs `varco serve` on a free loopback port and returns once
// it listens.
func startVarco(bin, dbURL, auditDir string, env ...string) (*varcoProc, error) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append(os.Environ(), "VARCO_DATABASE_URL="+dbURL, "VARCO_LISTEN=127.0.0.1:0", "VARCO_AUDIT_DIR="+auditDir,
		"VARCO_LOG_LEVEL=error", "VARCO_BASE_URL=http://127.0.0.1", "VARCO_SMTP_URL=smtp://127.0.0.1:1"), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("varco serve did not start: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return &varcoProc{cmd: cmd, url: strings.TrimSpace(strings.TrimPrefix(line, "varco listening on "))}, nil
}

func (p *varcoProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// rss is the resident memory of a process (VmRSS), in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS")
}
