// Package jobs is the scheduled work of the password lifecycle (SPEC
// §2.3–2.6): expiry warnings, inactivity warnings and suspension. Each job
// acts on the state it finds, not on replayed days, so running it late or
// twice does the right thing; each notice is claimed in the database in the
// same transaction that queues it, so it goes out exactly once even with
// several varco processes on one PostgreSQL.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"varco.dev/varco"
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

// batchSize is how many due accounts one transaction handles: large
// enough that a run with thousands due commits a few dozen times, small
// enough that a transaction holds the SQLite writer (or the PostgreSQL
// audit head) only briefly.
const batchSize = 256

// Runner runs the lifecycle jobs.
type Runner struct {
	db     *store.DB
	clock  clock.Clock
	mailer *notify.Mailer
	log    *slog.Logger

	mailCache varco.MailCache // nil: none
}

// SetMailCache makes the runner tell c the account of each app password
// that expired or whose previous secret's grace ended, and of each account
// it suspended, once the run's transaction committed
// (varco.MailCredentialsChanged).
func (r *Runner) SetMailCache(c varco.MailCache) { r.mailCache = c }

// New returns a Runner.
func New(db *store.DB, c clock.Clock, m *notify.Mailer, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{db: db, clock: c, mailer: m, log: log}
}

// Report counts what one run did.
type Report struct {
	Examined            int // accounts read because their next_notice_at had come
	ExpiryWarnings      int
	InactivityWarnings  int
	Suspended           int
	AppPasswordWarnings int // app password expiry warnings (SPEC §7.3)
	AppPasswordsExpired int // app password expiry notices
	// rotated app passwords' previous secrets forgotten at the end of
	// their grace (SPEC §7.4)
	AppPasswordGracesEnded int
	Deleted                int64 // expired reset tokens and old sessions removed
}

// Retention keeps expired reset tokens and ended sessions this long before
// the cleanup removes them (the activity history keeps what happened).
const Retention = 7 * day

// PushRetention keeps push requests, answered or expired, this long after
// their expiry.
const PushRetention = 30 * day

// RunOnce runs every job once, organization by organization (each has its
// own policy; accounts without one, support, follow the default). It reads
// only the accounts whose next_notice_at has come, and sets it again for
// each one it looks at.
func (r *Runner) RunOnce(ctx context.Context) (Report, error) {
	var rep Report
	orgs, err := r.db.Reader().ListOrgs(ctx)
	if err != nil {
		return rep, err
	}
	scopes := append([]int64{0}, make([]int64, 0, len(orgs))...)
	for _, o := range orgs {
		scopes = append(scopes, o.ID)
	}
	var errs []error
	for _, id := range scopes {
		if err := r.lifecycle(ctx, id, &rep); err != nil {
			errs = append(errs, fmt.Errorf("lifecycle jobs for org %d: %w", id, err))
		}
	}
	if err := r.appPasswords(ctx, &rep); err != nil {
		errs = append(errs, fmt.Errorf("app password notices: %w", err))
	}
	if err := r.appPasswordGraces(ctx, &rep); err != nil {
		errs = append(errs, fmt.Errorf("app password graces: %w", err))
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
		} else if rep.ExpiryWarnings+rep.InactivityWarnings+rep.Suspended+rep.AppPasswordWarnings+rep.AppPasswordsExpired+
			rep.AppPasswordGracesEnded > 0 ||
			rep.Deleted > 0 {
			r.log.InfoContext(ctx, "lifecycle jobs", "examined", rep.Examined, "expiry_warnings", rep.ExpiryWarnings,
				"inactivity_warnings", rep.InactivityWarnings, "suspended", rep.Suspended,
				"app_password_warnings", rep.AppPasswordWarnings, "app_passwords_expired", rep.AppPasswordsExpired,
				"app_password_graces_ended", rep.AppPasswordGracesEnded,
				"deleted", rep.Deleted)
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

// plan is what a run does for one account, and when the jobs must look at
// it again.
type plan struct {
	suspend  bool      // the grace after expiry is over (SPEC §2.6)
	expiry   int       // the expiry warning (threshold in days) due now, 0 for none (SPEC §2.4)
	daysLeft int       // before expiry, for the warning
	idle     int       // the inactivity warning (n-th period) due now, 0 for none (SPEC §2.5)
	since    time.Time // start of the stretch of inactivity: last sign-in, else creation
	next     time.Time // the earliest time anything not handled now can be due
}

// planFor decides what is due for an active account now under policy p.
// next never skips anything: a warning threshold, the suspension and the
// next inactivity period all lie at or after it. It may come early (the
// account is then read once more and nothing is sent), never late.
func planFor(p varco.Policy, a *varco.Account, now time.Time) plan {
	var pl plan
	var next []time.Time
	expires := p.ExpiresAt(a.PasswordChangedAt)
	if expires.After(now) {
		pl.daysLeft = varco.DaysLeft(expires, now)
		pl.expiry = threshold(p.WarningDays, pl.daysLeft)
		// The next warning is the most distant threshold more urgent than
		// the one handled now (all of them when none is).
		nextDays := 0
		for _, n := range p.WarningDays {
			if (pl.expiry == 0 || n < pl.expiry) && n > nextDays {
				nextDays = n
			}
		}
		if nextDays > 0 {
			next = append(next, expires.Add(-time.Duration(nextDays)*day))
		}
	}
	// Suspended once more than the grace period has passed since expiry; an
	// account reactivated with its old password is not, until it changes
	// it (a new password makes the account due again). Staff (org admins,
	// support) never are: otherwise nobody might be left to reactivate
	// anyone (SPEC §2.6); they keep the warnings and the forced change.
	if !a.MustChangePassword && suspendable(a) {
		suspendAt := expires.Add(time.Duration(p.SuspensionGraceDays)*day + time.Microsecond)
		if !now.Before(suspendAt) {
			pl.suspend = true
		}
		next = append(next, suspendAt)
	}
	pl.since = a.LastLoginAt
	if pl.since.IsZero() {
		pl.since = a.CreatedAt
	}
	period := time.Duration(p.InactivityDays) * day
	// Warned once "more than" a period has passed, then at every further
	// period of the same stretch; a sign-in starts a new stretch.
	if idle := now.Sub(pl.since); idle > period {
		pl.idle = int(idle / period)
		next = append(next, pl.since.Add(time.Duration(pl.idle+1)*period))
	} else {
		next = append(next, pl.since.Add(period+time.Microsecond))
	}
	pl.next = next[0]
	for _, t := range next[1:] {
		if t.Before(pl.next) {
			pl.next = t
		}
	}
	return pl
}

// suspendable reports whether the lifecycle jobs may suspend a: only plain
// users (SPEC §2.6).
func suspendable(a *varco.Account) bool { return a.Role == varco.RoleUser }

// NextNoticeAt is the next_notice_at of an active account that the jobs
// have not looked at yet: now when something is due now, else when the
// first thing will be. An importer or a fixture can store it instead of 0
// (which makes the next run look at the account).
func NextNoticeAt(p varco.Policy, a *varco.Account, now time.Time) time.Time {
	pl := planFor(p, a, now)
	if pl.suspend || pl.expiry > 0 || pl.idle > 0 {
		return now
	}
	return pl.next
}

// lifecycle runs the expiry warnings, suspensions and inactivity warnings
// of one organization (0: the accounts of none), a batch of due accounts
// per transaction.
func (r *Runner) lifecycle(ctx context.Context, orgID int64, rep *Report) error {
	now := r.clock.Now()
	var cursor store.NoticeCursor
	for {
		var err error
		cursor, err = r.batches(ctx, orgID, now, cursor, rep)
		if !errors.Is(err, errPolicyChanged) {
			return err
		}
		// Again from the first batch not done, planned with the new policy.
	}
}

// batches handles the due accounts after cursor, batch by batch: while one
// batch's transaction runs, a goroutine reads and prepares the next. It
// returns the cursor after the last batch committed.
func (r *Runner) batches(ctx context.Context, orgID int64, now time.Time, cursor store.NoticeCursor, rep *Report) (store.NoticeCursor, error) {
	type page struct {
		b   *batch
		end store.NoticeCursor
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		send := func(pg page) bool {
			select {
			case pages <- pg:
				return true
			case <-ctx.Done():
				return false
			}
		}
		p, err := r.policy(ctx, orgID)
		if err != nil {
			send(page{err: err})
			return
		}
		for after := cursor; ; {
			due, err := r.db.Reader().DueForNotice(ctx, orgID, now, after, batchSize)
			if err != nil || len(due) == 0 {
				if err != nil {
					send(page{err: err})
				}
				return
			}
			after = due[len(due)-1].Cursor
			b, err := r.prepare(p, due, now)
			if !send(page{b: b, end: after, err: err}) || err != nil || len(due) < batchSize {
				return
			}
		}
	}()
	defer func() {
		cancel()
		for range pages { // wait for the reader to stop
		}
	}()
	for pg := range pages {
		if pg.err != nil {
			return cursor, pg.err
		}
		rep.Examined += len(pg.b.items)
		var done Report
		err := r.db.InTx(ctx, func(q *store.Q) error {
			done = Report{}
			return r.handle(ctx, q, orgID, pg.b, now, &done)
		})
		if err != nil {
			return cursor, err
		}
		rep.ExpiryWarnings += done.ExpiryWarnings
		rep.InactivityWarnings += done.InactivityWarnings
		rep.Suspended += done.Suspended
		cursor = pg.end
	}
	return cursor, nil
}

// errPolicyChanged aborts a batch planned with a policy that changed
// before its transaction began.
var errPolicyChanged = errors.New("organization policy changed")

// policy returns the policy of an organization, the default for 0.
func (r *Runner) policy(ctx context.Context, orgID int64) (varco.Policy, error) {
	if orgID == 0 {
		return varco.DefaultPolicy(), nil
	}
	o, err := r.db.Reader().OrgByID(ctx, orgID)
	if err != nil {
		return varco.Policy{}, err
	}
	return o.Policy, nil
}

// lockPolicy is policy inside the jobs' transaction: a policy change waits
// for the transaction, or the transaction sees it.
func lockPolicy(ctx context.Context, q *store.Q, orgID int64) (varco.Policy, error) {
	if orgID == 0 {
		return varco.DefaultPolicy(), nil
	}
	return q.LockOrgPolicy(ctx, orgID)
}

// batch is a page of due accounts with what to do for each, its e-mails
// rendered before the transaction (rendering is most of the CPU a notice
// costs, and it runs on every core there, not in the single writer).
type batch struct {
	policy varco.Policy
	items  []item // in id order: the order the transaction locks them in
}

type item struct {
	a    *varco.Account
	pl   plan
	mail map[string]*notify.Message // by event
	data map[string]notify.Data     // by event: what the in-app alert of an e-mail shows
}

// prepare plans each due account and renders the e-mails it may need.
func (r *Runner) prepare(p varco.Policy, due []store.DueAccount, now time.Time) (*batch, error) {
	b := &batch{policy: p, items: make([]item, len(due))}
	for i, d := range due {
		b.items[i] = item{a: d.Account, pl: planFor(p, d.Account, now), mail: map[string]*notify.Message{},
			data: map[string]notify.Data{}}
	}
	// Lock the accounts in id order, so two runners on one PostgreSQL
	// taking overlapping batches cannot deadlock.
	slices.SortFunc(b.items, func(x, y item) int { return cmp.Compare(x.a.ID, y.a.ID) })
	type job struct {
		it    *item
		event string
		data  notify.Data
		msg   *notify.Message
		err   error
	}
	var jobs []*job
	for i := range b.items {
		it := &b.items[i]
		a, pl := it.a, it.pl
		expires := p.ExpiresAt(a.PasswordChangedAt)
		if pl.suspend {
			jobs = append(jobs, &job{it: it, event: varco.EventAccountSuspended,
				data: notify.Data{Time: now, ExpiresAt: expires, GraceDays: p.SuspensionGraceDays}})
			continue
		}
		if pl.expiry > 0 {
			jobs = append(jobs, &job{it: it, event: varco.EventPasswordExpiryWarningSent,
				data: notify.Data{Time: now, DaysLeft: pl.daysLeft, ExpiresAt: expires, GraceDays: p.SuspensionGraceDays}})
		}
		if pl.idle > 0 {
			jobs = append(jobs, &job{it: it, event: varco.EventInactivityWarningSent,
				data: notify.Data{Time: now, DaysInactive: int(now.Sub(pl.since) / day), LastLogin: a.LastLoginAt}})
		}
	}
	next := make(chan *job)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for j := range next {
				j.msg, j.err = r.mailer.Message(j.it.a, j.it.a.NotifyAddress(), j.event, j.data)
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			return nil, fmt.Errorf("%s for account %d: %w", j.event, j.it.a.ID, j.err)
		}
		j.it.mail[j.event] = j.msg
		j.it.data[j.event] = j.data
	}
	return b, nil
}

// handle does, in one transaction, what is due for a batch of accounts read
// before it. First every account row is updated (suspended, or its
// next_notice_at set), each only if it has not changed since the read;
// then the notices are claimed, recorded and queued.
func (r *Runner) handle(ctx context.Context, q *store.Q, orgID int64, b *batch, now time.Time, rep *Report) error {
	p, err := lockPolicy(ctx, q, orgID)
	if err != nil {
		return err
	}
	if !samePolicy(p, b.policy) {
		return errPolicyChanged
	}
	var work []*item
	for i := range b.items {
		it := &b.items[i]
		var ok bool
		if it.pl.suspend {
			ok, err = q.SuspendIfActive(ctx, it.a.ID, it.a.PasswordChangedAt)
		} else {
			ok, err = q.SetNextNotice(ctx, it.a.ID, it.a, it.pl.next)
		}
		if err != nil {
			return fmt.Errorf("account %d: %w", it.a.ID, err)
		}
		if ok { // else it changed since the read: it stays due, and the next run sees it as it is
			work = append(work, it)
		}
	}
	var events []*varco.Event
	var mail []*notify.Message
	type sent struct {
		it    *item
		event string
	}
	var alerts []sent // e-mails whose in-app alert goes with them (SPEC §8)
	for _, it := range work {
		a, pl := it.a, it.pl
		if pl.suspend {
			if _, err := q.RevokeAllSessions(ctx, a.ID, 0, now); err != nil {
				return fmt.Errorf("suspend account %d: %w", a.ID, err)
			}
			varco.MailCredentialsChanged(r.mailCache, q, a.Email) // a suspended account's mail logins end too
			events = append(events, systemEvent(a, now, varco.EventAccountSuspended,
				fmt.Sprintf("password not renewed within %d days of expiry", p.SuspensionGraceDays)))
			mail = append(mail, it.mail[varco.EventAccountSuspended])
			rep.Suspended++
			continue
		}
		if pl.expiry > 0 {
			ok, err := q.ClaimNotice(ctx, a.ID, kindExpiry, store.Micros(a.PasswordChangedAt), pl.expiry, now)
			if err != nil {
				return fmt.Errorf("account %d: %w", a.ID, err)
			}
			if ok {
				events = append(events, systemEvent(a, now, varco.EventPasswordExpiryWarningSent,
					fmt.Sprintf("password expires in %d days (warning %d)", pl.daysLeft, pl.expiry)))
				mail = append(mail, it.mail[varco.EventPasswordExpiryWarningSent])
				alerts = append(alerts, sent{it, varco.EventPasswordExpiryWarningSent})
				rep.ExpiryWarnings++
			}
		}
		if pl.idle > 0 {
			ok, err := q.ClaimNotice(ctx, a.ID, kindInactivity, store.Micros(pl.since), pl.idle, now)
			if err != nil {
				return fmt.Errorf("account %d: %w", a.ID, err)
			}
			if ok {
				events = append(events, systemEvent(a, now, varco.EventInactivityWarningSent,
					fmt.Sprintf("no sign-in for %d days", int(now.Sub(pl.since)/day))))
				mail = append(mail, it.mail[varco.EventInactivityWarningSent])
				rep.InactivityWarnings++
			}
		}
	}
	if err := q.AppendEvents(ctx, events); err != nil {
		return err
	}
	for _, m := range mail {
		if err := r.mailer.Queue(ctx, q, m); err != nil {
			return err
		}
	}
	for _, s := range alerts {
		if err := r.mailer.RaiseAlert(ctx, q, s.it.a, s.event, s.it.data[s.event]); err != nil {
			return fmt.Errorf("account %d: %w", s.it.a.ID, err)
		}
	}
	return nil
}

// samePolicy reports whether two policies schedule the same notices.
func samePolicy(a, b varco.Policy) bool {
	return a.MaxAgeDays == b.MaxAgeDays && a.InactivityDays == b.InactivityDays &&
		a.SuspensionGraceDays == b.SuspensionGraceDays && slices.Equal(a.WarningDays, b.WarningDays)
}

// cleanup removes reset tokens, sessions, login flows and step-up codes
// that ended more than Retention ago, push requests that expired more than
// PushRetention ago and push mutes that ended.
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
	flows, err := r.db.DeleteExpiredLoginFlows(ctx, cutoff)
	if err != nil {
		return resets + sessions, err
	}
	// Retention (a week) outlives the 24 hours the send limits look back.
	verifications, err := r.db.DeleteExpiredContactVerifications(ctx, cutoff)
	if err != nil {
		return resets + sessions + flows, err
	}
	alerts, err := r.db.DeleteExpiredLoginAlerts(ctx, cutoff)
	if err != nil {
		return resets + sessions + flows + verifications, err
	}
	n := resets + sessions + flows + verifications + alerts
	// Push requests outlive the hour their limits look back by far.
	requests, err := r.db.DeletePushRequestsBefore(ctx, r.clock.Now().Add(-PushRetention))
	if err != nil {
		return n, err
	}
	mutes, err := r.db.DeleteExpiredPushMutes(ctx, r.clock.Now())
	if err != nil {
		return n + requests, err
	}
	return n + requests + mutes, nil
}

func systemEvent(a *varco.Account, now time.Time, event, detail string) *varco.Event {
	return &varco.Event{Time: now, AccountID: a.ID, OrgID: a.OrgID, Event: event, Actor: varco.ActorSystem,
		Outcome: varco.OutcomeSuccess, Detail: detail}
}
