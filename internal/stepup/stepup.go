// Package stepup is the second factor of a risky sign-in (SPEC §5.4–5.9):
// the e-mail PIN and the SMS OTP, the limits on sending them and the
// lockout counters. It decides inside the caller's transaction; the sign-in
// flow, its events and its e-mails are internal/auth's.
package stepup

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math"
	"math/big"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// Config holds the step-up rules. The seed's values are exact; the others
// are defaults (SPEC §5.4–5.9). Zero values take the defaults.
type Config struct {
	CodeTTL           time.Duration // a code is valid this long (10 min)
	FlowTTL           time.Duration // a login flow lives this long (15 min)
	PINConsecutiveMax int           // this many wrong PINs in a row lock (5)
	PINTotalMax       int           // this many wrong PINs in all lock (15)
	PINQuiet          time.Duration // the run of wrong PINs ends after this long without an attempt (30 min)
	OTPTotalMax       int           // this many wrong OTPs in all lock (50)
	OTPValid          int           // only the newest this many OTPs are valid (3)
	OTPInterval       time.Duration // at most one OTP per this long (1 min)
	OTPPerDay         int           // at most this many SMS per 24 h (10)
	PINPerHour        int           // at most this many PIN e-mails per hour (30)
	// Per-IP limits across accounts: from the IPFailures-th wrong code (or
	// unknown flow) of one IP within IPWindow, its attempts wait, doubling.
	// They sit above what one account's counters allow (50 wrong OTPs), so
	// they slow a spray over many accounts without hiding the seed's rules.
	IPFailures int           // 100
	IPWindow   time.Duration // 10 min
	IPSends    int           // codes one IP may have sent per IPWindow (60)
}

// WithDefaults returns c with every zero value set to its default.
func (c Config) WithDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	seti := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	set(&c.CodeTTL, 10*time.Minute)
	set(&c.FlowTTL, 15*time.Minute)
	set(&c.PINQuiet, 30*time.Minute)
	set(&c.OTPInterval, time.Minute)
	set(&c.IPWindow, 10*time.Minute)
	seti(&c.PINConsecutiveMax, 5)
	seti(&c.PINTotalMax, 15)
	seti(&c.OTPTotalMax, 50)
	seti(&c.OTPValid, 3)
	seti(&c.OTPPerDay, 10)
	seti(&c.PINPerHour, 30)
	seti(&c.IPFailures, 100)
	seti(&c.IPSends, 60)
	return c
}

// Store is what step-up reads and writes, inside the caller's transaction.
type Store interface {
	LockStepUpCounters(ctx context.Context, accountID int64) (varco.StepUpCounters, error)
	SaveStepUpCounters(ctx context.Context, accountID int64, c varco.StepUpCounters) error
	InsertStepUpCode(ctx context.Context, c *store.StepUpCode) error
	NewestStepUpCodes(ctx context.Context, accountID int64, method string, n int) ([]store.StepUpCode, error)
	VoidStepUpCodes(ctx context.Context, accountID int64, at time.Time) error
	SMSStore
}

// SMSStore is what counting an account's SMS of the day reads: step-up
// OTPs and phone verification codes share one budget (SPEC §5.9).
type SMSStore interface {
	CodesSentSince(ctx context.Context, accountID int64, method string, since time.Time) (n int, first, last time.Time, err error)
	ContactVerificationSends(ctx context.Context, accountID int64, kind string, since time.Time) (store.VerificationSends, error)
	LockAccountRow(ctx context.Context, id int64) error
}

var (
	_ Store    = (*store.Q)(nil)
	_ SMSStore = (*store.Q)(nil)
)

// Rules applies a Config.
type Rules struct {
	cfg Config
}

// New returns the rules of cfg, its zero values set to the defaults.
func New(cfg Config) *Rules { return &Rules{cfg: cfg.WithDefaults()} }

// Config returns the effective configuration.
func (r *Rules) Config() Config { return r.cfg }

// MethodsFor lists the step-up methods an account can use: the e-mail PIN
// always, the SMS OTP with a verified phone (SPEC §5.4).
func MethodsFor(a *varco.Account) varco.Methods {
	ms := varco.Methods{varco.MethodEmailPIN}
	if a.Phone != "" && a.PhoneVerified {
		ms = append(ms, varco.MethodSMSOTP)
	}
	return ms
}

// ParseCode checks that s is a code as sent: exactly six ASCII digits.
// Anything else (spaces, letters, other digits, another length) is refused
// before any counter moves.
func ParseCode(s string) (string, bool) {
	if len(s) != 6 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}

// NewCode returns 6 random decimal digits.
func NewCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash keys a code's hash with the flow id, which only the client holds:
// the stored hashes alone do not give the codes away, and a code is bound to
// the flow it was sent for.
func codeHash(flowID, method, code string) []byte {
	m := hmac.New(sha256.New, []byte(flowID))
	m.Write([]byte(method + ":" + code))
	return m.Sum(nil)
}

// Flow is the sign-in a code is sent for or checked against.
type Flow struct {
	ID        string // the flow id the client holds
	RowID     int64  // the stored flow's id
	AccountID int64
}

// CheckSend takes the account's counters' row lock, so parallel sends take
// turns, and refuses a send of method past its limits: PINPerHour PINs an
// hour; one OTP per OTPInterval (otp_rate_limited) and OTPPerDay SMS a day
// (SPEC §5.6–5.7, §5.9). Sending never resets a counter.
func (r *Rules) CheckSend(ctx context.Context, q Store, accountID int64, method string, now time.Time) error {
	if _, err := q.LockStepUpCounters(ctx, accountID); err != nil {
		return err
	}
	if method == varco.MethodEmailPIN {
		n, _, _, err := q.CodesSentSince(ctx, accountID, method, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= r.cfg.PINPerHour {
			return varco.TooManyAttempts(time.Hour)
		}
		return nil
	}
	n, _, last, err := q.CodesSentSince(ctx, accountID, method, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	limited := func(key string, wait time.Duration) *varco.Error {
		e := varco.E(varco.EOTPRateLimited, key)
		e.RetryAfter = max(1, int(math.Ceil(wait.Seconds())))
		return e
	}
	if n > 0 && now.Sub(last) < r.cfg.OTPInterval {
		return limited("error.code_just_sent", r.cfg.OTPInterval-now.Sub(last))
	}
	// The day's SMS budget is shared with phone verification codes; the
	// account row lock makes the two count one by one.
	if err := q.LockAccountRow(ctx, accountID); err != nil {
		return err
	}
	today, oldest, err := SMSSentToday(ctx, q, accountID, now)
	if err != nil {
		return err
	}
	if today >= r.cfg.OTPPerDay {
		return limited("error.sms_day_limit", oldest.Add(24*time.Hour).Sub(now))
	}
	return nil
}

// SMSSentToday counts the SMS an account was sent in the last 24 hours,
// step-up OTPs and phone verification codes together (SPEC §5.9: at most 10
// SMS a day), and returns when the oldest of them went.
func SMSSentToday(ctx context.Context, q SMSStore, accountID int64, now time.Time) (int, time.Time, error) {
	since := now.Add(-24 * time.Hour)
	phone, err := q.ContactVerificationSends(ctx, accountID, varco.VerifyPhone, since)
	if err != nil {
		return 0, time.Time{}, err
	}
	n, first, _, err := q.CodesSentSince(ctx, accountID, varco.MethodSMSOTP, since)
	if err != nil {
		return 0, time.Time{}, err
	}
	oldest := first
	if phone.Count > 0 && (n == 0 || phone.Oldest.Before(first)) {
		oldest = phone.Oldest
	}
	return n + phone.Count, oldest, nil
}

// Issue makes a new code of method for f, valid CodeTTL, stores its keyed
// hash and returns the code to send. Call it after CheckSend.
func (r *Rules) Issue(ctx context.Context, q Store, f Flow, method string, now time.Time) (string, error) {
	code, err := NewCode()
	if err != nil {
		return "", err
	}
	c := &store.StepUpCode{AccountID: f.AccountID, FlowID: f.RowID, Method: method, CodeHash: codeHash(f.ID, method, code),
		CreatedAt: now, ExpiresAt: now.Add(r.cfg.CodeTTL)}
	if err := q.InsertStepUpCode(ctx, c); err != nil {
		return "", err
	}
	return code, nil
}

// Outcome is what a code checked against a flow did.
type Outcome struct {
	Passed bool
	// LockReason is the counter that locks the account (varco.LockPINTotal,
	// …); "" when the account does not lock.
	LockReason string
	// Left is how many wrong codes are left before the account locks, when
	// few are (SPEC §9a attempts_left); 0 otherwise.
	Left int
}

// Verify checks code, sent by method (the flow's newest), against f under
// the account's counters' row lock, so parallel guesses are counted one by
// one. Only the newest PIN (§5.5), or the newest OTPValid OTPs (§5.6), of
// this flow, unused and unexpired, are right. A right code resets the
// method's counters and voids every code of the account; a wrong one is
// counted. The counters are saved either way.
func (r *Rules) Verify(ctx context.Context, q Store, f Flow, method, code string, now time.Time) (Outcome, error) {
	c, err := q.LockStepUpCounters(ctx, f.AccountID)
	if err != nil {
		return Outcome{}, err
	}
	valid := 1
	if method == varco.MethodSMSOTP {
		valid = r.cfg.OTPValid
	}
	codes, err := q.NewestStepUpCodes(ctx, f.AccountID, method, valid)
	if err != nil {
		return Outcome{}, err
	}
	want := codeHash(f.ID, method, code)
	match := false
	for _, sc := range codes {
		// Every candidate is compared, in constant time, so the time
		// taken does not tell which one matched.
		if sc.FlowID == f.RowID && sc.UsedAt.IsZero() && now.Before(sc.ExpiresAt) && hmac.Equal(want, sc.CodeHash) {
			match = true
		}
	}
	if match {
		if method == varco.MethodSMSOTP {
			c.OTPTotal = 0
		} else {
			c.PINConsecutive, c.PINTotal, c.PINLastFailedAt = 0, 0, time.Time{}
		}
		if err := q.SaveStepUpCounters(ctx, f.AccountID, c); err != nil {
			return Outcome{}, err
		}
		if err := q.VoidStepUpCodes(ctx, f.AccountID, now); err != nil {
			return Outcome{}, err
		}
		return Outcome{Passed: true}, nil
	}
	reason, left := r.countWrong(&c, method, now)
	if err := q.SaveStepUpCounters(ctx, f.AccountID, c); err != nil {
		return Outcome{}, err
	}
	return Outcome{LockReason: reason, Left: left}, nil
}

// countWrong counts one wrong code in c. It returns the counter that locks
// the account ("" if none) and, when the next wrong code would lock it, how
// many are left (SPEC §5.5, §5.6, §9a).
func (r *Rules) countWrong(c *varco.StepUpCounters, method string, now time.Time) (lockReason string, left int) {
	if method == varco.MethodSMSOTP {
		c.OTPTotal++
		if c.OTPTotal >= r.cfg.OTPTotalMax {
			return varco.LockOTPTotal, 0
		}
		if l := r.cfg.OTPTotalMax - c.OTPTotal; l <= 5 {
			return "", l
		}
		return "", 0
	}
	// The run of consecutive wrong PINs ends when PINQuiet passed since the
	// last wrong PIN with no attempt in between (SPEC §5.5).
	if !c.PINLastFailedAt.IsZero() && now.Sub(c.PINLastFailedAt) >= r.cfg.PINQuiet {
		c.PINConsecutive = 0
	}
	c.PINConsecutive++
	c.PINTotal++
	c.PINLastFailedAt = now
	switch {
	case c.PINConsecutive >= r.cfg.PINConsecutiveMax:
		return varco.LockPINConsecutive, 0
	case c.PINTotal >= r.cfg.PINTotalMax:
		return varco.LockPINTotal, 0
	}
	if l := min(r.cfg.PINConsecutiveMax-c.PINConsecutive, r.cfg.PINTotalMax-c.PINTotal); l == 1 {
		return "", 1
	}
	return "", 0
}
