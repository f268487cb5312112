// Package jobs is the scheduled work of the password lifecycle (SPEC
// §2.3–2.6): expiry warnings, inactivity warnings and suspension. Each job
// acts on the state it finds, not on replayed days, so running it late or
// twice does the right thing; each notice is claimed in the database in the
// same transaction that queues it, so it goes out exactly once even with
// several varco processes on one PostgreSQL.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

const day = varco.Day

// Notice kinds in the sent_notices table.
const (
	kindExpiry     = "password_expiry"
	kindInactivity = "inactivity"
)

// Runner runs the lifecycle jobs.
type Runner struct {
	db     *store.DB
	clock  clock.Clock
	mailer *auth.Mailer
	log    *slog.Logger
}

// New returns a Runner.
func New(db *store.DB, c clock.Clock, m *auth.Mailer, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{db: db, clock: c, mailer: m, log: log}
}

// Report counts what one run did.
type Report struct {
	ExpiryWarnings     int
	InactivityWarnings int
	Suspended          int
	Deleted            int64 // expired reset tokens and old sessions removed
}

// Retention keeps expired reset tokens and ended sessions this long before
// the cleanup removes them (the activity history keeps what happened).
const Retention = 7 * day

// RunOnce runs every job once, organization by organization (each has its
// own policy; accounts without one, support, follow the default).
func (r *Runner) RunOnce(ctx context.Context) (Report, error) {
	var rep Report
	orgs, err := r.db.Reader().ListOrgs(ctx)
	if err != nil {
		return rep, err
	}
	scopes := append([]*varco.Org{{ID: 0, Policy: varco.DefaultPolicy()}}, orgs...)
	var errs []error
	for _, o := range scopes {
		n, err := r.expiryWarnings(ctx, o)
		rep.ExpiryWarnings += n
		errs = append(errs, err)
		n, err = r.suspensions(ctx, o)
		rep.Suspended += n
		errs = append(errs, err)
		n, err = r.inactivityWarnings(ctx, o)
		rep.InactivityWarnings += n
		errs = append(errs, err)
	}
	if rep.ExpiryWarnings+rep.InactivityWarnings+rep.Suspended > 0 {
		r.mailer.Committed()
	}
	n, err := r.cleanup(ctx)
	rep.Deleted = n
	errs = append(errs, err)
	return rep, errors.Join(errs...)
}

// Run runs the jobs every interval until ctx ends.
func (r *Runner) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if rep, err := r.RunOnce(ctx); err != nil {
			r.log.ErrorContext(ctx, "lifecycle jobs", "error", err)
		} else if rep != (Report{}) {
			r.log.InfoContext(ctx, "lifecycle jobs", "expiry_warnings", rep.ExpiryWarnings,
				"inactivity_warnings", rep.InactivityWarnings, "suspended", rep.Suspended, "deleted", rep.Deleted)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// threshold returns the most urgent warning day N with daysLeft ≤ N (the
// warning for N goes out the first time days left ≤ N; a jump across
// several thresholds sends only the most urgent), or 0 for none.
func threshold(warnings []int, daysLeft int) int {
	best := 0
	for _, n := range warnings {
		if daysLeft <= n && (best == 0 || n < best) {
			best = n
		}
	}
	return best
}

// expiryWarnings warns the accounts whose password expires within the
// first warning day (SPEC §2.4).
func (r *Runner) expiryWarnings(ctx context.Context, o *varco.Org) (int, error) {
	p := o.Policy
	first := p.FirstWarning()
	if first == 0 {
		return 0, nil
	}
	now := r.clock.Now()
	maxAge := time.Duration(p.MaxAgeDays) * day
	// Expires in (now, now+first days]: changed in (now−maxAge, now−maxAge+first days].
	due, err := r.db.Reader().PasswordsChangedBetween(ctx, o.ID, now.Add(-maxAge), now.Add(-maxAge+time.Duration(first)*day))
	if err != nil {
		return 0, fmt.Errorf("expiry warnings for org %d: %w", o.ID, err)
	}
	sent := 0
	for _, a := range due {
		expires := p.ExpiresAt(a.PasswordChangedAt)
		left := varco.DaysLeft(expires, now)
		n := threshold(p.WarningDays, left)
		if n == 0 {
			continue
		}
		ok, err := r.notify(ctx, a, kindExpiry, store.Micros(a.PasswordChangedAt), n, varco.EventPasswordExpiryWarningSent,
			notify.Data{Time: now, DaysLeft: left, ExpiresAt: expires, GraceDays: p.SuspensionGraceDays},
			fmt.Sprintf("password expires in %d days (warning %d)", left, n))
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// inactivityWarnings asks accounts without a sign-in for more than the
// inactivity period to sign in, again every period (SPEC §2.5).
func (r *Runner) inactivityWarnings(ctx context.Context, o *varco.Org) (int, error) {
	p := o.Policy
	now := r.clock.Now()
	period := time.Duration(p.InactivityDays) * day
	due, err := r.db.Reader().InactiveSince(ctx, o.ID, now.Add(-period))
	if err != nil {
		return 0, fmt.Errorf("inactivity warnings for org %d: %w", o.ID, err)
	}
	sent := 0
	for _, a := range due {
		since := a.LastLoginAt
		if since.IsZero() {
			since = a.CreatedAt
		}
		idle := now.Sub(since)
		if idle <= period {
			continue // exactly on the boundary: "more than" the period
		}
		// The n-th period of this stretch of inactivity; a sign-in starts a new stretch.
		n := int(idle / period)
		ok, err := r.notify(ctx, a, kindInactivity, store.Micros(since), n, varco.EventInactivityWarningSent,
			notify.Data{Time: now, DaysInactive: int(idle / day), LastLogin: a.LastLoginAt},
			fmt.Sprintf("no sign-in for %d days", int(idle/day)))
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// suspensions suspend the accounts whose password expired more than the
// grace period ago without a change (SPEC §2.6, the month counted from
// expiry).
func (r *Runner) suspensions(ctx context.Context, o *varco.Org) (int, error) {
	p := o.Policy
	now := r.clock.Now()
	// Suspended once more than the grace period has passed since expiry:
	// changed strictly before now − (max age + grace).
	cutoff := now.Add(-time.Duration(p.MaxAgeDays+p.SuspensionGraceDays) * day).Add(-time.Microsecond)
	due, err := r.db.Reader().PasswordsChangedBetween(ctx, o.ID, time.Time{}, cutoff)
	if err != nil {
		return 0, fmt.Errorf("suspensions for org %d: %w", o.ID, err)
	}
	n := 0
	for _, a := range due {
		expired := p.ExpiresAt(a.PasswordChangedAt)
		var done bool
		err := r.db.InTx(ctx, func(q *store.Q) error {
			var err error
			if done, err = q.SuspendIfActive(ctx, a.ID, a.PasswordChangedAt); err != nil || !done {
				return err
			}
			if _, err := q.RevokeAllSessions(ctx, a.ID, 0, now); err != nil {
				return err
			}
			if err := q.AppendEvent(ctx, systemEvent(a, now, varco.EventAccountSuspended,
				fmt.Sprintf("password not renewed within %d days of expiry", p.SuspensionGraceDays))); err != nil {
				return err
			}
			return r.mailer.Enqueue(ctx, q, a, varco.EventAccountSuspended,
				notify.Data{Time: now, ExpiresAt: expired, GraceDays: p.SuspensionGraceDays})
		})
		if err != nil {
			return n, fmt.Errorf("suspend account %d: %w", a.ID, err)
		}
		if done {
			n++
		}
	}
	return n, nil
}

// cleanup removes reset tokens, contact verifications and sessions that
// ended more than Retention ago.
func (r *Runner) cleanup(ctx context.Context) (int64, error) {
	cutoff := r.clock.Now().Add(-Retention)
	resets, err := r.db.DeleteExpiredPasswordResets(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	sessions, err := r.db.DeleteSessionsBefore(ctx, cutoff)
	if err != nil {
		return resets, err
	}
	// Retention (a week) outlives the 24 hours the send limits look back.
	verifications, err := r.db.DeleteExpiredContactVerifications(ctx, cutoff)
	if err != nil {
		return resets + sessions, err
	}
	return resets + sessions + verifications, nil
}

// notify claims a notice and, if this run is the first to, records the
// event and queues the e-mail, all in one transaction.
func (r *Runner) notify(ctx context.Context, a *varco.Account, kind string, cycle int64, threshold int, event string, data notify.Data, detail string) (bool, error) {
	now := r.clock.Now()
	var claimed bool
	err := r.db.InTx(ctx, func(q *store.Q) error {
		var err error
		if claimed, err = q.ClaimNotice(ctx, a.ID, kind, cycle, threshold, now); err != nil || !claimed {
			return err
		}
		if err := q.AppendEvent(ctx, systemEvent(a, now, event, detail)); err != nil {
			return err
		}
		return r.mailer.Enqueue(ctx, q, a, event, data)
	})
	if err != nil {
		return false, fmt.Errorf("%s for account %d: %w", event, a.ID, err)
	}
	return claimed, nil
}

func systemEvent(a *varco.Account, now time.Time, event, detail string) *varco.Event {
	return &varco.Event{Time: now, AccountID: a.ID, OrgID: a.OrgID, Event: event, Actor: varco.ActorSystem,
		Outcome: varco.OutcomeSuccess, Detail: detail}
}
