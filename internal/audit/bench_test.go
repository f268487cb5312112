package audit_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/audit"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// BenchmarkAppend measures appends/s of one event per transaction with 1,
// 4, 16 and 64 concurrent writers, each for its own accounts, in the two
// designs side by side on the same database:
//
//   - per-account: what varco does, each account's chain its own head row;
//   - single-chain: every writer appends to one chain, which is the lock
//     pattern of the single history-wide head row varco had before (one
//     row every transaction that records an event updates and holds until
//     commit).
//
// With procs=2 the writers share two store.DB pools, as two varco
// processes on one PostgreSQL do. Run it through scripts/bench-audit.sh,
// which prints each per-account figure as a ratio to the single chain.
func BenchmarkAppend(b *testing.B) {
	for _, engine := range testenv.Engines() {
		for _, procs := range []int{1, 2} {
			if procs == 2 && engine != "postgres" {
				continue // SQLite is one process's file
			}
			dbs := make([]*store.DB, procs)
			url := testenv.DatabaseURL(b, engine)
			keys := testenv.AuditKeys(b)
			for i := range dbs {
				db, err := store.Open(context.Background(), url)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(context.Background()); err != nil {
					b.Fatal(err)
				}
				db.SetAuditKeys(keys)
				dbs[i] = db
			}
			var next atomic.Int64 // fresh account ids for each sub-benchmark
			// The two designs run side by side at each writer count, so that
			// the history's growth during the run weighs on both alike.
			for _, writers := range []int{1, 4, 16, 64} {
				for _, design := range []string{"single-chain", "per-account"} {
					name := fmt.Sprintf("%s/procs=%d/%s/writers=%d", engine, procs, design, writers)
					b.Run(name, func(b *testing.B) {
						base := next.Add(1000) * 1000
						var done atomic.Int64
						var wg sync.WaitGroup
						errs := make(chan error, writers)
						b.ResetTimer()
						start := time.Now()
						for w := 0; w < writers; w++ {
							db := dbs[w%procs]
							account := base + int64(w)
							if design == "single-chain" {
								account = base
							}
							wg.Go(func() {
								for done.Add(1) <= int64(b.N) {
									e := &varco.Event{Time: time.Now(), AccountID: account, OrgID: 1, Event: varco.EventLoginFailed,
										Actor: varco.ActorSelf, Outcome: varco.OutcomeFailure, IP: "192.0.2.1", UserAgent: "bench"}
									if err := db.InTx(context.Background(), func(q *store.Q) error { return q.AppendEvent(context.Background(), e) }); err != nil {
										errs <- err
										return
									}
								}
							})
						}
						wg.Wait()
						elapsed := time.Since(start)
						b.StopTimer()
						close(errs)
						for err := range errs {
							b.Fatal(err)
						}
						b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
					})
				}
			}
		}
	}
}

// BenchmarkVerify reports the time and peak heap of verifying a history of
// VARCO_BENCH_EVENTS events (default 100,000) in 1,000 account chains
// against a checkpoint, on each engine.
func BenchmarkVerify(b *testing.B) {
	events := 100_000
	if v, err := strconv.Atoi(os.Getenv("VARCO_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	for _, engine := range testenv.Engines() {
		b.Run(fmt.Sprintf("%s/events=%d", engine, events), func(b *testing.B) {
			db := testenv.OpenDB(b, engine)
			dir := b.TempDir()
			keys, err := audit.LoadKeys(dir, true)
			if err != nil {
				b.Fatal(err)
			}
			db.SetAuditKeys(keys.Chain)
			ctx := context.Background()
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			const batch = 2000
			for i := 0; i < events; i += batch {
				es := make([]*varco.Event, 0, batch)
				for j := i; j < min(i+batch, events); j++ {
					es = append(es, &varco.Event{Time: t0.Add(time.Duration(j) * time.Second), AccountID: int64(j%1000 + 1),
						OrgID: 1, Event: varco.EventLoginSucceeded, Actor: varco.ActorSelf, Outcome: varco.OutcomeSuccess,
						IP: "192.0.2.1", Location: "Milano, IT", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/148.0"})
				}
				if err := db.InTx(ctx, func(q *store.Q) error { return q.AppendEvents(ctx, es) }); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := audit.Write(ctx, db, keys, dir, t0, true); err != nil {
				b.Fatal(err)
			}
			path, _ := audit.Newest(dir)
			trusted, err := audit.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			peak := newPeakHeap()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := audit.Verify(ctx, db.Reader(), keys, audit.Options{Trusted: trusted})
				if err != nil || !r.OK() || r.Events != int64(events) {
					b.Fatalf("verify: %d events, %v, %v", r.Events, r.Problems, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(peak.stop()-before.HeapInuse)/(1<<20), "MiB-heap-peak")
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// peakHeap samples the in-use heap while a benchmark runs.
type peakHeap struct {
	max   atomic.Uint64
	stopc chan struct{}
	done  chan struct{}
}

func newPeakHeap() *peakHeap {
	p := &peakHeap{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > p.max.Load() {
				p.max.Store(m.HeapInuse)
			}
			select {
			case <-p.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) stop() uint64 {
	close(p.stopc)
	<-p.done
	return p.max.Load()
}
