package jobs

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

// appPasswordKind is the sent_notices kind of one app password's expiry
// notices: the id makes them per app password, the cycle (the secret's
// expiry) starts them over after a rotation, the threshold is the warning's
// days, 0 for the notice at expiry.
func appPasswordKind(id int64) string { return "app_password:" + strconv.FormatInt(id, 10) }

// appPlan is what a run does for one app password, and when the jobs must
// look at it again.
type appPlan struct {
	warn     int       // the warning (threshold in days) due now, 0 for none
	daysLeft int       // before expiry, for the warning
	expired  bool      // the expiry notice is due
	next     time.Time // the earliest time anything not handled now can be due; zero: never
}

// appPlanFor decides what is due for an app password whose secret expires
// at expires, by the same rule as the password's warnings (SPEC §9a
// "Clock"): a jump across several thresholds sends only the most urgent,
// and a jump past the expiry sends only the expiry notice.
func appPlanFor(expires, now time.Time) appPlan {
	var pl appPlan
	if !expires.After(now) { // an app password works while now is before expires_at
		pl.expired = true
		return pl
	}
	pl.daysLeft = varco.DaysLeft(expires, now)
	pl.warn = threshold(varco.AppPasswordWarningDays, pl.daysLeft)
	pl.next = expires
	nextDays := 0
	for _, n := range varco.AppPasswordWarningDays {
		if (pl.warn == 0 || n < pl.warn) && n > nextDays {
			nextDays = n
		}
	}
	if nextDays > 0 {
		pl.next = expires.Add(-time.Duration(nextDays) * day)
	}
	return pl
}

// appPasswords sends the expiry warnings and notices of app passwords
// (SPEC §7.3): it reads only the app passwords whose next_notice_at has
// come, a batch per transaction, and sets it again for each one.
func (r *Runner) appPasswords(ctx context.Context, rep *Report) error {
	now := r.clock.Now()
	var after int64
	for {
		due, err := r.db.Reader().DueAppPasswords(ctx, now, after, batchSize)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		after = due[len(due)-1].ID
		var done Report
		if err := r.db.InTx(ctx, func(q *store.Q) error {
			done = Report{}
			for i := range due {
				if err := r.appPassword(ctx, q, &due[i], now, &done); err != nil {
					return fmt.Errorf("app password %d: %w", due[i].ID, err)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		rep.AppPasswordWarnings += done.AppPasswordWarnings
		rep.AppPasswordsExpired += done.AppPasswordsExpired
		if len(due) < batchSize {
			return nil
		}
	}
}

// appPassword handles one due app password inside the batch's transaction:
// nothing when it was rotated or deleted since the read (a rotated one is
// due again with its new expiry), else the notice due now, claimed so it
// goes out once, recorded, e-mailed and raised as an in-app alert.
func (r *Runner) appPassword(ctx context.Context, q *store.Q, p *store.AppPassword, now time.Time, rep *Report) error {
	pl := appPlanFor(p.ExpiresAt, now)
	ok, err := q.SetAppPasswordNextNotice(ctx, p.ID, p.ExpiresAt, pl.next)
	if err != nil || !ok {
		return err
	}
	event, threshold := varco.EventAppPasswordExpiryWarningSent, pl.warn
	detail := fmt.Sprintf("%s: expires in %d days (warning %d)", p.Label, pl.daysLeft, pl.warn)
	switch {
	case pl.expired:
		event, threshold, detail = varco.EventAppPasswordExpired, 0, p.Label
	case pl.warn == 0:
		return nil
	}
	claimed, err := q.ClaimNotice(ctx, p.AccountID, appPasswordKind(p.ID), store.Micros(p.ExpiresAt), threshold, now)
	if err != nil || !claimed {
		return err
	}
	a, err := q.AccountByID(ctx, p.AccountID)
	if err != nil {
		return err
	}
	if err := q.AppendEvent(ctx, systemEvent(a, now, event, detail)); err != nil {
		return err
	}
	data := notify.Data{Time: now, Label: p.Label, DaysLeft: pl.daysLeft, ExpiresAt: p.ExpiresAt}
	if err := r.mailer.Enqueue(ctx, q, a, event, data); err != nil {
		return err
	}
	if pl.expired {
		rep.AppPasswordsExpired++
		varco.MailCredentialsChanged(r.mailCache, q, a.Email)
	} else {
		rep.AppPasswordWarnings++
	}
	return nil
}

// appPasswordGraces ends the grace of the previous secrets of rotated app
// passwords (SPEC §7.4): once the 72 hours are over, each is forgotten and
// the mail servers' auth cache is told its account, once per ended grace,
// so that a mail client Dovecot let in with the old secret must log in
// again (SPEC §7.6). Logins stop accepting the old secret at the end of
// the grace whether or not this has run yet; this run only makes the
// cached ones end too.
func (r *Runner) appPasswordGraces(ctx context.Context, rep *Report) error {
	now := r.clock.Now()
	var after int64
	for {
		ended, err := r.db.Reader().EndedAppPasswordGraces(ctx, now, after, batchSize)
		if err != nil {
			return err
		}
		if len(ended) == 0 {
			return nil
		}
		after = ended[len(ended)-1].ID
		n := 0
		if err := r.db.InTx(ctx, func(q *store.Q) error {
			n = 0
			for _, p := range ended {
				ok, err := q.EndAppPasswordGrace(ctx, p.ID, p.PrevValidUntil)
				if err != nil {
					return fmt.Errorf("app password %d: %w", p.ID, err)
				}
				if !ok { // rotated again or deleted since the read: that change flushed
					continue
				}
				a, err := q.AccountByID(ctx, p.AccountID)
				if err != nil {
					return fmt.Errorf("app password %d: %w", p.ID, err)
				}
				varco.MailCredentialsChanged(r.mailCache, q, a.Email)
				n++
			}
			return nil
		}); err != nil {
			return err
		}
		rep.AppPasswordGracesEnded += n
		if len(ended) < batchSize {
			return nil
		}
	}
}
