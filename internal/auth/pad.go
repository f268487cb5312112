package auth

import (
	"context"
	"sync/atomic"
	"time"
)

// failurePad makes a failed sign-in take as long as the slow ones, so the
// time of an "invalid_credentials" answer does not tell a known e-mail from
// an unknown one (SPEC §5.1). The two paths do the same work — throttle
// check, account lookup, one argon2id verification (of a dummy hash for an
// unknown e-mail), the same failure transaction — but a known account's
// stored hash may be a legacy one ({SHA512-CRYPT}, {BLF-CRYPT}) or carry
// other argon2id parameters, and its history chain is an existing row
// rather than a shared one, which costs milliseconds more or less. Every
// failure is therefore padded up to a floor that follows the slow end of
// recent failures: it rises quickly toward a slower one and decays slowly,
// as the minimum response time of Authelia's first factor does.
type failurePad struct {
	floor  atomic.Int64 // nanoseconds
	padded atomic.Int64 // failures that went through wait, for tests
	sleep  func(ctx context.Context, d time.Duration)
}

// maxFailurePad bounds the floor, so a stall (a slow database, an
// overloaded hasher) does not make every later failure wait as long.
const maxFailurePad = 2 * time.Second

// wait pads a failure that took took; it returns the wait it asked for.
func (p *failurePad) wait(ctx context.Context, took time.Duration) time.Duration {
	p.padded.Add(1)
	took = min(took, maxFailurePad)
	for {
		old := p.floor.Load()
		floor := time.Duration(old)
		next := floor
		if took > floor {
			next += (took - floor) / 4
		} else {
			next -= (floor - took) / 256
		}
		if p.floor.CompareAndSwap(old, int64(next)) {
			break
		}
	}
	floor := time.Duration(p.floor.Load())
	if floor <= took {
		return 0
	}
	p.sleep(ctx, floor-took)
	return floor - took
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
