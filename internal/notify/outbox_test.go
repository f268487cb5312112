package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// fakeOutbox is an in-memory Outbox with the semantics the interface
// documents (the store's real implementation is tested in internal/store).
type fakeOutbox struct {
	mu     sync.Mutex
	rows   []*fakeRow
	claims chan int // if set, receives the size of every ClaimDue answer
	// ignoreNextAttempt makes ClaimDue return failed messages at once, like
	// a broken store, to prove DrainOnce still ends.
	ignoreNextAttempt bool
	failClaim         error
}

type fakeRow struct {
	m         Message
	status    string // pending, sent, dead
	next      time.Time
	lease     time.Time
	lastError string
	marks     int
}

func (f *fakeOutbox) add(m Message, due time.Time) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	m.ID = int64(len(f.rows) + 1)
	f.rows = append(f.rows, &fakeRow{m: m, status: "pending", next: due})
	return m.ID
}

func (f *fakeOutbox) row(id int64) fakeRow {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.rows[id-1]
}

func (f *fakeOutbox) ClaimDue(_ context.Context, now, leaseUntil time.Time, limit int) ([]Message, error) {
	f.mu.Lock()
	var out []Message
	for _, r := range f.rows {
		if len(out) == limit {
			break
		}
		due := !r.next.After(now) || f.ignoreNextAttempt
		if r.status == "pending" && due && !r.lease.After(now) {
			r.lease = leaseUntil
			out = append(out, r.m)
		}
	}
	err := f.failClaim
	f.mu.Unlock()
	if f.claims != nil {
		f.claims <- len(out)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (f *fakeOutbox) MarkSent(_ context.Context, id int64, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rows[id-1]
	r.status, r.lease = "sent", time.Time{}
	r.m.Attempts++
	r.marks++
	return nil
}

func (f *fakeOutbox) MarkFailed(_ context.Context, id int64, next time.Time, lastError string, dead bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rows[id-1]
	r.status, r.next, r.lastError, r.lease = "pending", next, lastError, time.Time{}
	if dead {
		r.status = "dead"
	}
	r.m.Attempts++
	r.marks++
	return nil
}

var _ Outbox = (*fakeOutbox)(nil)

// senderFunc adapts a function to Sender.
type senderFunc func(ctx context.Context, m Message) error

func (f senderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

func noJitter(time.Duration) time.Duration { return 0 }

func mailFor(to string) Message {
	return Message{Event: EventPasswordChanged, To: to, Lang: "it", Subject: "Prova", Text: "corpo segreto 918273\n",
		HTML: "<p>corpo segreto 918273</p>", MessageID: fmt.Sprintf("<%s@varco.test>", strings.ReplaceAll(to, "@", ".")),
		CreatedAt: t0}
}

func TestWorkerRetriesTemporaryFailureWithBackoffThenSends(t *testing.T) {
	ctx := context.Background()
	sink := smtpsink.Start(t)
	clk := clock.NewManual(t0)
	ob := &fakeOutbox{}
	w := NewWorker(ob, newSender(t, sink.URL(), SMTPOptions{Clock: clk}), WorkerOptions{Clock: clk, Jitter: noJitter})
	id := ob.add(mailFor("mario.rossi@example.it"), t0)
	sink.FailNext(2, 451)

	drain := func(wantSent, wantFailed int) {
		t.Helper()
		sent, failed, err := w.DrainOnce(ctx)
		if err != nil || sent != wantSent || failed != wantFailed {
			t.Fatalf("DrainOnce = %d sent, %d failed, %v; want %d, %d", sent, failed, err, wantSent, wantFailed)
		}
	}
	drain(0, 1)
	r := ob.row(id)
	if r.status != "pending" || r.m.Attempts != 1 || !r.next.Equal(t0.Add(30*time.Second)) || !strings.Contains(r.lastError, "451") {
		t.Fatalf("after 1st failure: %+v", r)
	}
	drain(0, 0) // not due yet
	clk.Advance(29 * time.Second)
	drain(0, 0)
	clk.Advance(time.Second)
	drain(0, 1)
	if r = ob.row(id); r.m.Attempts != 2 || !r.next.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("after 2nd failure: next %v attempts %d; want 60 s backoff", r.next, r.m.Attempts)
	}
	clk.Advance(time.Minute)
	drain(1, 0)
	if r = ob.row(id); r.status != "sent" || r.m.Attempts != 3 {
		t.Fatalf("after success: %+v", r)
	}
	got := sink.Wait(t, smtpsink.SentTo("mario.rossi@example.it"), wait)
	if got.Header.Get("Message-Id") != "<mario.rossi.example.it@varco.test>" {
		t.Errorf("re-delivery changed the Message-ID: %q", got.Header.Get("Message-Id"))
	}
	if sink.Rejected() != 2 || len(sink.Messages()) != 1 {
		t.Errorf("sink rejected %d, received %d; want 2, 1", sink.Rejected(), len(sink.Messages()))
	}
	clk.Advance(24 * time.Hour)
	drain(0, 0) // sent messages stay sent
}

func TestWorkerDeadLettersPermanentFailure(t *testing.T) {
	ctx := context.Background()
	sink := smtpsink.Start(t)
	clk := clock.NewManual(t0)
	ob := &fakeOutbox{}
	w := NewWorker(ob, newSender(t, sink.URL(), SMTPOptions{Clock: clk}), WorkerOptions{Clock: clk, Jitter: noJitter})
	dead := ob.add(mailFor("nobody@example.it"), t0)
	fine := ob.add(mailFor("someone@example.it"), t0)
	sink.FailNext(1, 550)

	sent, failed, err := w.DrainOnce(ctx)
	if err != nil || sent != 1 || failed != 1 {
		t.Fatalf("DrainOnce = %d, %d, %v", sent, failed, err)
	}
	if r := ob.row(dead); r.status != "dead" || r.m.Attempts != 1 || !strings.Contains(r.lastError, "550") {
		t.Errorf("550: %+v, want dead after one attempt", r)
	}
	if r := ob.row(fine); r.status != "sent" {
		t.Errorf("the next message: %+v, want sent", r)
	}
	clk.Advance(48 * time.Hour)
	if sent, failed, _ := w.DrainOnce(ctx); sent+failed != 0 {
		t.Errorf("a dead message was tried again")
	}
}

func TestWorkerDeadLettersAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	sink := smtpsink.Start(t)
	clk := clock.NewManual(t0)
	ob := &fakeOutbox{}
	w := NewWorker(ob, newSender(t, sink.URL(), SMTPOptions{Clock: clk}),
		WorkerOptions{Clock: clk, Jitter: noJitter, MaxAttempts: 4})
	id := ob.add(mailFor("mario@example.it"), t0)
	sink.FailNext(100, 421)
	for attempt := 1; attempt <= 4; attempt++ {
		if _, failed, err := w.DrainOnce(ctx); err != nil || failed != 1 {
			t.Fatalf("attempt %d: failed %d, %v", attempt, failed, err)
		}
		r := ob.row(id)
		if wantDead := attempt == 4; (r.status == "dead") != wantDead {
			t.Fatalf("attempt %d: status %s", attempt, r.status)
		}
		clk.Advance(time.Hour)
	}
	if sink.Rejected() != 4 {
		t.Errorf("sink saw %d attempts, want 4", sink.Rejected())
	}
	if _, failed, _ := w.DrainOnce(ctx); failed != 0 {
		t.Error("a dead message was tried again")
	}
}

func TestDrainOnceTriesEachFailingMessageOnce(t *testing.T) {
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("store ignores next attempt=%v", broken), func(t *testing.T) {
			clk := clock.NewManual(t0)
			ob := &fakeOutbox{ignoreNextAttempt: broken}
			var mu sync.Mutex
			calls := map[int64]int{}
			failing := senderFunc(func(_ context.Context, m Message) error {
				mu.Lock()
				defer mu.Unlock()
				calls[m.ID]++
				return errors.New("421 try again later")
			})
			w := NewWorker(ob, failing, WorkerOptions{Clock: clk, Jitter: noJitter, BatchSize: 2})
			for i := range 5 {
				ob.add(mailFor(fmt.Sprintf("u%d@example.it", i)), t0)
			}
			sent, failed, err := w.DrainOnce(context.Background())
			if err != nil || sent != 0 {
				t.Fatalf("DrainOnce = %d, %d, %v", sent, failed, err)
			}
			// A correct store yields every message once; a broken one
			// keeps yielding the first batch, and the drain stops there
			// rather than sending it again.
			want := 5
			if broken {
				want = 2
			}
			if failed != want || len(calls) != want {
				t.Errorf("failed %d, tried %d messages; want %d", failed, len(calls), want)
			}
			for id, n := range calls {
				if n != 1 {
					t.Errorf("message %d sent %d times in one drain", id, n)
				}
			}
		})
	}
}

func TestWorkerBackoff(t *testing.T) {
	w := NewWorker(&fakeOutbox{}, nil, WorkerOptions{Jitter: noJitter})
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, d := range want {
		if got := w.Backoff(i + 1); got != d {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, d)
		}
	}
	for _, n := range []int{0, -3, 64, 1000, 1 << 30} {
		if got := w.Backoff(n); got < time.Second || got > time.Hour {
			t.Errorf("Backoff(%d) = %v", n, got)
		}
	}
	// Jitter takes up to a quarter off; out-of-range jitter is ignored.
	maxJitter := NewWorker(&fakeOutbox{}, nil, WorkerOptions{Jitter: func(m time.Duration) time.Duration { return m - 1 }})
	if got := maxJitter.Backoff(1); got != 30*time.Second-(30*time.Second/4-1) {
		t.Errorf("Backoff(1) with max jitter = %v", got)
	}
	if got := maxJitter.Backoff(20); got <= 45*time.Minute || got > time.Hour {
		t.Errorf("Backoff(20) with max jitter = %v", got)
	}
	wild := NewWorker(&fakeOutbox{}, nil, WorkerOptions{Jitter: func(m time.Duration) time.Duration { return -m * 10 }})
	if got := wild.Backoff(1); got != 30*time.Second {
		t.Errorf("Backoff with negative jitter = %v", got)
	}
	// Default jitter stays within bounds.
	def := NewWorker(&fakeOutbox{}, nil, WorkerOptions{})
	for range 100 {
		if got := def.Backoff(3); got <= 90*time.Second || got > 2*time.Minute {
			t.Fatalf("Backoff(3) = %v, want (90 s, 2 min]", got)
		}
	}
}

func TestWorkerLogsWithoutBodiesOrAddresses(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	clk := clock.NewManual(t0)
	ob := &fakeOutbox{}
	first := true
	s := senderFunc(func(_ context.Context, m Message) error {
		if first {
			first = false
			return fmt.Errorf("451 4.2.0 <%s>: mailbox busy", strings.ToUpper(m.To))
		}
		return Permanent(fmt.Errorf("550 5.1.1 <%s>: no such user", m.To))
	})
	w := NewWorker(ob, s, WorkerOptions{Clock: clk, Logger: logger, Jitter: noJitter})
	id := ob.add(mailFor("mario.rossi@example.it"), t0)
	if _, _, err := w.DrainOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, _, err := w.DrainOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	for _, secret := range []string{"mario.rossi", "MARIO.ROSSI", "segreto", "918273"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{`"message_id":1`, `"event":"password_changed"`, `"attempt":2`, `"to":"m***@example.it"`,
		`"error":"550 5.1.1 <m***@example.it>: no such user"`, "dead-lettered"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if r := ob.row(id); strings.Contains(r.lastError, "mario.rossi") || r.status != "dead" {
		t.Errorf("row: %+v", r)
	}
}

func TestWorkerLeavesMessageToItsLeaseWhenCancelled(t *testing.T) {
	ob := &fakeOutbox{}
	started := make(chan struct{})
	s := senderFunc(func(ctx context.Context, _ Message) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	w := NewWorker(ob, s, WorkerOptions{Clock: clock.NewManual(t0)})
	id := ob.add(mailFor("a@example.it"), t0)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, _, err := w.DrainOnce(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("DrainOnce = %v, want context.Canceled", err)
	}
	if r := ob.row(id); r.marks != 0 || r.m.Attempts != 0 || r.status != "pending" {
		t.Errorf("a cancelled attempt was recorded: %+v", r)
	}
}

func TestWorkerRecordsSendEvenIfCancelledRightAfter(t *testing.T) {
	ob := &fakeOutbox{}
	ctx, cancel := context.WithCancel(context.Background())
	s := senderFunc(func(context.Context, Message) error {
		cancel() // shutdown begins while the server accepts the message
		return nil
	})
	w := NewWorker(ob, s, WorkerOptions{Clock: clock.NewManual(t0)})
	id := ob.add(mailFor("a@example.it"), t0)
	if _, _, err := w.DrainOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("DrainOnce = %v, want context.Canceled", err)
	}
	if r := ob.row(id); r.status != "sent" {
		t.Errorf("status = %s, want sent", r.status)
	}
}

func TestDrainOnceWithoutSenderFails(t *testing.T) {
	w := NewWorker(&fakeOutbox{}, nil, WorkerOptions{})
	if _, _, err := w.DrainOnce(context.Background()); err == nil {
		t.Error("DrainOnce without a sender succeeded")
	}
}

func TestDrainOnceReportsOutboxErrors(t *testing.T) {
	boom := errors.New("database is locked")
	w := NewWorker(&fakeOutbox{failClaim: boom}, senderFunc(func(context.Context, Message) error { return nil }),
		WorkerOptions{Clock: clock.NewManual(t0)})
	if _, _, err := w.DrainOnce(context.Background()); !errors.Is(err, boom) {
		t.Errorf("DrainOnce = %v, want the claim error", err)
	}
}

func TestRunDeliversOnNotifyAndStopsOnCancel(t *testing.T) {
	sink := smtpsink.Start(t)
	clk := clock.NewManual(t0)
	ob := &fakeOutbox{claims: make(chan int)}
	// A poll interval of an hour: only Notify can make Run drain again.
	w := NewWorker(ob, newSender(t, sink.URL(), SMTPOptions{Clock: clk}),
		WorkerOptions{Clock: clk, PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	if n := <-ob.claims; n != 0 { // the first drain finds nothing
		t.Fatalf("first claim got %d", n)
	}
	ob.add(mailFor("mario@example.it"), t0)
	w.Notify()
	w.Notify() // never blocks, even with a wake-up pending
	if n := <-ob.claims; n != 1 {
		t.Fatalf("claim after Notify got %d", n)
	}
	if n := <-ob.claims; n != 0 { // the drain ends when nothing is left
		t.Fatalf("second claim of the drain got %d", n)
	}
	sink.Wait(t, smtpsink.SentTo("mario@example.it"), wait)

	cancel()
	// Run may be draining for the second wake-up; keep answering its claims.
	safety := time.After(wait)
stopping:
	for {
		select {
		case <-ob.claims:
		case <-done:
			break stopping
		case <-safety:
			t.Fatal("Run did not stop after cancel")
		}
	}
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("sink got %d messages, want 1", n)
	}
}

func TestDevMailbox(t *testing.T) {
	var saved []Message
	store := devStoreFunc(func(_ context.Context, m Message) error {
		if m.To == "fail@example.it" {
			return errors.New("disk full")
		}
		saved = append(saved, m)
		return nil
	})
	d := NewDevMailbox(store)
	m := mailFor("a@example.it")
	if err := d.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 || saved[0].MessageID != m.MessageID || saved[0].Text != m.Text {
		t.Errorf("saved = %+v", saved)
	}
	err := d.Send(context.Background(), mailFor("fail@example.it"))
	if err == nil || !strings.Contains(err.Error(), "disk full") || IsPermanent(err) {
		t.Errorf("store error: %v", err)
	}
	var nilBox *DevMailbox
	if err := nilBox.Send(context.Background(), m); err == nil {
		t.Error("nil DevMailbox accepted a message")
	}
}

type devStoreFunc func(ctx context.Context, m Message) error

func (f devStoreFunc) SaveDevMessage(ctx context.Context, m Message) error { return f(ctx, m) }
