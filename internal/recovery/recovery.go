// Package recovery gets an account back and keeps its contacts true: the
// password reset (SPEC §4) — its link, which the sign-in's "forgot
// password" and support's reset (internal/admin) both send, and the
// service that sends and spends it — and the verification of a phone number
// and a contact e-mail (SPEC §1). Setting the password itself, and the
// events' shape, are the sign-in's (internal/auth, behind Accounts).
package recovery

import (
	"context"
	"net/url"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/stepup"
	"varco.dev/varco/internal/store"
)

// ResetTTL is how long a reset link works: [seed] SPEC §4.1, 24 hours.
const ResetTTL = 24 * time.Hour

// Reset request limits (SPEC §4.2): per account and per client IP, per hour.
const (
	ResetPerAccount = 3
	ResetPerIP      = 20
	ResetWindow     = time.Hour
)

// PathReset is the page a reset link opens.
const PathReset = "/password-reset/complete"

// NewResetLink returns a fresh reset link under baseURL, carrying its token
// as the "token" parameter (SPEC §9a), and the stored form of the token.
// Store it with CreatePasswordReset, valid ResetTTL.
func NewResetLink(baseURL string) (link string, hash []byte, err error) {
	token, hash, err := varco.NewToken()
	if err != nil {
		return "", nil, err
	}
	return strings.TrimRight(baseURL, "/") + PathReset + "?token=" + url.QueryEscape(token), hash, nil
}

// Reader is what recovery reads outside a transaction.
type Reader interface {
	AccountByEmail(ctx context.Context, email string) (*varco.Account, error)
	AccountByID(ctx context.Context, id int64) (*varco.Account, error)
	OrgByID(ctx context.Context, id int64) (*varco.Org, error)
	ThrottleStates(ctx context.Context, keys ...string) (map[string]store.Throttle, error)
	PasswordResetAccount(ctx context.Context, hash []byte, now time.Time) (int64, error)
	PendingContactVerification(ctx context.Context, accountID int64, kind string, now time.Time) (*store.ContactVerification, error)
}

// Store is what recovery reads and writes inside its transactions.
type Store interface {
	AccountByID(ctx context.Context, id int64) (*varco.Account, error)
	AppendEvent(ctx context.Context, e *varco.Event) error
	ThrottleFailure(ctx context.Context, key string, now, windowStart time.Time) (store.Throttle, error)
	ThrottleBlock(ctx context.Context, key string, until time.Time) error
	CreatePasswordReset(ctx context.Context, accountID int64, hash []byte, now, expires time.Time) error
	UsePasswordReset(ctx context.Context, hash []byte, now time.Time) (int64, error)
	CreateContactVerification(ctx context.Context, v *store.ContactVerification) error
	PendingContactVerification(ctx context.Context, accountID int64, kind string, now time.Time) (*store.ContactVerification, error)
	ContactVerificationByHash(ctx context.Context, kind string, hash []byte, now time.Time) (*store.ContactVerification, error)
	CountVerificationAttempt(ctx context.Context, id int64, max int) (int, error)
	UseContactVerification(ctx context.Context, id int64, now time.Time) (bool, error)
	RetireContactVerifications(ctx context.Context, accountID int64, kind string, now time.Time) error
	SetAccountPhone(ctx context.Context, accountID int64, phone string, verified bool) error
	SetAccountContactEmail(ctx context.Context, accountID int64, email string, verified bool) error
	stepup.SMSStore // the day's SMS budget, shared with step-up codes
	notify.Enqueuer // the e-mails, SMS and alerts that go with a change
}

var (
	_ Reader = (*store.Q)(nil)
	_ Store  = (*store.Q)(nil)
	_ DB     = (*store.DB)(nil)
)

// DB is where Reader and Store live: *store.DB.
type DB interface {
	Reader() *store.Q
	InTx(ctx context.Context, fn func(q *store.Q) error) error
	// AccountByID reads on the writer, after a change committed.
	AccountByID(ctx context.Context, id int64) (*varco.Account, error)
}

// Accounts is what recovery needs of the sign-in (internal/auth's Service,
// which app passes in; recovery does not import it).
type Accounts interface {
	// Event is the activity event of a's own action, its request data made
	// fit to record and placed.
	Event(a *varco.Account, name, outcome string, m varco.Meta, detail string) *varco.Event
	// Locate is the approximate location of ip in lang ("" when unknown).
	Locate(ip, lang string) string
	// ResetPassword sets next as a's password from a reset link (SPEC
	// §4.3): refused while a's status forbids signing in, checked against
	// the policy and history, every session revoked, recorded and
	// confirmed by e-mail in one transaction, in which spend runs first.
	ResetPassword(ctx context.Context, a *varco.Account, next string, m varco.Meta, spend func(q *store.Q) error) error
}

// Service sends and spends reset links and contact verifications.
type Service struct {
	db       DB
	accounts Accounts
	clock    clock.Clock
	mailer   *notify.Mailer
}

// Deps are what a Service needs.
type Deps struct {
	DB       DB
	Accounts Accounts
	Clock    clock.Clock
	Mailer   *notify.Mailer
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{db: d.DB, accounts: d.Accounts, clock: d.Clock, mailer: d.Mailer}
}

// read is the Reader outside a transaction.
func (s *Service) read() Reader { return s.db.Reader() }

// inTx runs fn in one transaction with the Store.
func (s *Service) inTx(ctx context.Context, fn func(q Store) error) error {
	return s.db.InTx(ctx, func(q *store.Q) error { return fn(q) })
}

// located returns m with its Location filled in for an account of language
// lang when the caller did not know it.
func (s *Service) located(m varco.Meta, lang string) varco.Meta {
	if m.Location == "" && m.IP != "" {
		m.Location = s.accounts.Locate(m.IP, lang)
	}
	return m
}
