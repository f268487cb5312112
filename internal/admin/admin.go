// Package admin is what org admins, support and the operator's CLI do to
// organizations and accounts. Every call is scoped by its actor: support sees
// every organization, an org admin only its own, and another
// organization's user does not exist for it (ENotFound, not EForbidden).
// Anyone else, and an actor left unset, is refused (EForbidden).
package admin

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/recovery"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

// Service manages organizations and accounts.
type Service struct {
	db     *store.DB
	hasher *password.Hasher
	policy password.Policy
	clock  clock.Clock
	mailer *notify.Mailer
	loc    Locator

	mailCache varco.MailCache // nil: none
}

// Locator names where an IP is, in a language ("" when unknown): the
// lookup of the sign-in path (auth.Service.Locate, which app passes in).
type Locator interface {
	Locate(ip, lang string) string
}

// New returns a Service. The mailer queues the e-mails an action sends;
// the locator places the IPs admin actions come from (nil: none).
func New(db *store.DB, h *password.Hasher, p password.Policy, c clock.Clock, m *notify.Mailer, loc Locator) *Service {
	return &Service{db: db, hasher: h, policy: p, clock: c, mailer: m, loc: loc}
}

type originKey struct{}

// WithOrigin returns ctx carrying where an admin's request comes from (IP,
// user agent, application), for the activity events of the actions it
// does. The HTTP layers set it; the CLI does not, and its events have none.
func WithOrigin(ctx context.Context, m varco.Meta) context.Context {
	return context.WithValue(ctx, originKey{}, m)
}

// event is the activity event of an admin action on account a (nil: on no
// account), recorded as the actor's, with the request's IP, user agent
// and place (SPEC §2.8, §3).
func (s *Service) event(ctx context.Context, actor Actor, a *varco.Account, now time.Time, name, detail string) *varco.Event {
	who, whoID := actorName(actor)
	m, _ := ctx.Value(originKey{}).(varco.Meta)
	ev := &varco.Event{Time: now, Event: name, Actor: who, ActorID: whoID, Outcome: varco.OutcomeSuccess, Detail: detail,
		IP: m.IP, UserAgent: truncate(m.UserAgent, 512), Application: m.Application, Location: m.Location}
	lang := varco.LangIT
	if a != nil {
		ev.AccountID, ev.OrgID = a.ID, a.OrgID
		if varco.ValidLang(a.Lang) {
			lang = a.Lang
		}
	}
	if ev.Location == "" && ev.IP != "" && s.loc != nil {
		ev.Location = s.loc.Locate(ev.IP, lang)
	}
	return ev
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Actor is who acts. The zero Actor is nobody and is refused everything,
// so a caller that does not say who acts fails closed: only Operator and a
// signed-in staff account get anything done.
type Actor struct {
	account  *varco.Account // the signed-in account; nil for the operator and for nobody
	operator bool
}

// Operator is the operator at the command line, who may do what support
// may. Only cmd/varco acts as the operator.
func Operator() Actor { return Actor{operator: true} }

// AccountActor is the signed-in account a acting; nil is nobody.
func AccountActor(a *varco.Account) Actor { return Actor{account: a} }

func isSupport(a Actor) bool {
	return a.operator || (a.account != nil && a.account.Role == varco.RoleSupport)
}

func isOrgAdmin(a Actor) bool {
	return !a.operator && a.account != nil && a.account.Role == varco.RoleOrgAdmin && a.account.OrgID != 0
}

// orgID is an org admin's organization; 0 for everyone else.
func (a Actor) orgID() int64 {
	if !isOrgAdmin(a) {
		return 0
	}
	return a.account.OrgID
}

// actorName is how the history names the actor: the operator is "system".
func actorName(a Actor) (string, int64) {
	switch {
	case a.account == nil:
		return varco.ActorSystem, 0
	case a.account.Role == varco.RoleSupport:
		return varco.ActorSupport, a.account.ID
	}
	return varco.ActorAdmin, a.account.ID
}

func forbidden() error { return varco.E(varco.EForbidden, "error.not_allowed") }

// CreateOrg creates an Italian organization; support only.
func (s *Service) CreateOrg(ctx context.Context, actor Actor, name, plan string) (*varco.Org, error) {
	return s.CreateOrgWith(ctx, actor, NewOrg{Name: name, Plan: plan})
}

// NewOrg is the input of CreateOrgWith.
type NewOrg struct {
	Name string
	Plan string // default basic
	// Country (ISO 3166 alpha-2, default varco.DefaultCountry) is where its
	// users' phone numbers written without a country code are dialled.
	Country string
}

// CreateOrgWith creates an organization; support only.
func (s *Service) CreateOrgWith(ctx context.Context, actor Actor, in NewOrg) (*varco.Org, error) {
	name, plan := in.Name, in.Plan
	if !isSupport(actor) {
		return nil, forbidden()
	}
	if _, err := text.Identifier("name", name); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return nil, varco.E(varco.EInvalid, "error.org_name")
	}
	if plan == "" {
		plan = varco.PlanBasic
	}
	if !varco.ValidPlan(plan) {
		return nil, varco.E(varco.EInvalid, "error.plan")
	}
	country := strings.ToUpper(strings.TrimSpace(in.Country))
	if country == "" {
		country = varco.DefaultCountry
	}
	if !varco.ValidCountry(country) {
		return nil, varco.E(varco.EInvalid, "error.country")
	}
	o := &varco.Org{Name: name, Plan: plan, Country: country, CreatedAt: s.clock.Now()}
	if err := s.db.CreateOrg(ctx, o); err != nil {
		return nil, err
	}
	return o, nil
}

// ListOrgs returns the organizations the actor may see.
func (s *Service) ListOrgs(ctx context.Context, actor Actor) ([]*varco.Org, error) {
	if isSupport(actor) {
		return s.db.Reader().ListOrgs(ctx)
	}
	if isOrgAdmin(actor) {
		o, err := s.db.Reader().OrgByID(ctx, actor.orgID())
		if err != nil {
			return nil, err
		}
		return []*varco.Org{o}, nil
	}
	return nil, forbidden()
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Email        string
	Password     string
	Org          string // organization name; empty only for support accounts
	Role         string // default user
	Phone        string // E.164
	ContactEmail string
	Language     string // default it
	DisplayName  string
}

// CreateUser creates an account. Support creates any role in any
// organization; an org admin creates users and org admins in its own. A
// phone or contact e-mail set here counts as verified (SPEC §9a).
func (s *Service) CreateUser(ctx context.Context, actor Actor, in NewUser) (*varco.Account, error) {
	if !isSupport(actor) && !isOrgAdmin(actor) {
		return nil, forbidden()
	}
	for _, f := range []struct{ name, value string }{{"email", in.Email}, {"org", in.Org}, {"role", in.Role},
		{"phone", in.Phone}, {"contact_email", in.ContactEmail}, {"language", in.Language}, {"display_name", in.DisplayName}} {
		if _, err := text.Identifier(f.name, f.value); err != nil {
			return nil, err
		}
	}
	if err := text.Check("password", in.Password); err != nil {
		return nil, err
	}
	email := varco.NormalizeEmail(in.Email)
	if !varco.ValidEmail(email) {
		return nil, varco.E(varco.EInvalid, "error.email_invalid")
	}
	if in.Role == "" {
		in.Role = varco.RoleUser
	}
	if !varco.ValidRole(in.Role) {
		return nil, varco.E(varco.EInvalid, "error.role")
	}
	if in.Language == "" {
		in.Language = varco.LangIT
	}
	if !varco.ValidLang(in.Language) {
		return nil, varco.E(varco.EInvalid, "error.language")
	}
	contact := varco.NormalizeEmail(in.ContactEmail)
	if contact != "" && !varco.ValidEmail(contact) {
		return nil, varco.E(varco.EInvalid, "error.contact_email_invalid")
	}
	if utf8.RuneCountInString(in.DisplayName) > 200 {
		return nil, varco.E(varco.EInvalid, "error.display_name_long")
	}
	a := &varco.Account{Email: email, Role: in.Role, Status: varco.StatusActive, Lang: in.Language,
		ContactEmail: contact, ContactEmailVerified: contact != "", DisplayName: strings.TrimSpace(in.DisplayName)}
	country := varco.DefaultCountry
	switch {
	case in.Role == varco.RoleSupport:
		if !isSupport(actor) {
			return nil, forbidden()
		}
		if in.Org != "" {
			return nil, varco.E(varco.EInvalid, "error.support_no_org")
		}
	case in.Org == "":
		return nil, varco.E(varco.EInvalid, "error.org_required")
	default:
		org, err := s.db.Reader().OrgByName(ctx, in.Org)
		if err != nil || (isOrgAdmin(actor) && org.ID != actor.orgID()) {
			return nil, varco.E(varco.ENotFound, "error.org_not_found", in.Org)
		}
		a.OrgID, a.OrgName, country = org.ID, org.Name, org.Country
	}
	if strings.TrimSpace(in.Phone) != "" {
		phone, err := varco.NormalizePhone(in.Phone, country)
		if err != nil {
			e := varco.Recode(err, varco.EInvalid)
			e.Field = "phone"
			return nil, e
		}
		a.Phone, a.PhoneVerified = phone, true
	}
	if err := s.policy.Check(in.Password, email); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	a.PasswordHash, a.PasswordChangedAt, a.CreatedAt = hash, now, now
	err = s.db.InTx(ctx, func(q *store.Q) error {
		if err := q.CreateAccount(ctx, a); err != nil {
			return err
		}
		return q.AppendEvent(ctx, s.event(ctx, actor, a, now, varco.EventAccountCreated, "role "+a.Role))
	})
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return a, nil
}

// SearchUsers finds accounts by e-mail or name within the actor's scope.
func (s *Service) SearchUsers(ctx context.Context, actor Actor, query string, after int64, limit int) ([]*varco.Account, error) {
	f := store.AccountFilter{Query: query, After: after, Limit: limit}
	switch {
	case isSupport(actor):
	case isOrgAdmin(actor):
		f.OrgID = actor.orgID()
	default:
		return nil, forbidden()
	}
	if len(query) > 254 {
		return nil, varco.E(varco.EInvalid, "error.search_long")
	}
	if err := text.Check("q", query); err != nil {
		return nil, err
	}
	return s.db.Reader().SearchAccounts(ctx, f)
}

// User returns one account the actor may see; others are ENotFound.
func (s *Service) User(ctx context.Context, actor Actor, id int64) (*varco.Account, error) {
	if !isSupport(actor) && !isOrgAdmin(actor) {
		return nil, forbidden()
	}
	a, err := s.db.Reader().AccountByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if isOrgAdmin(actor) && a.OrgID != actor.orgID() {
		return nil, varco.Errorf(varco.ENotFound, "account not found")
	}
	return a, nil
}

// managedUser is User for a change to the account: a support account is
// changed by support only, an org admin is refused with forbidden.
func (s *Service) managedUser(ctx context.Context, actor Actor, id int64) (*varco.Account, error) {
	a, err := s.User(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if a.Role == varco.RoleSupport && !isSupport(actor) {
		return nil, forbidden()
	}
	return a, nil
}

// UserByEmail is User by login address.
func (s *Service) UserByEmail(ctx context.Context, actor Actor, email string) (*varco.Account, error) {
	if !isSupport(actor) && !isOrgAdmin(actor) {
		return nil, forbidden()
	}
	if _, err := text.Identifier("email", email); err != nil {
		return nil, err
	}
	a, err := s.db.Reader().AccountByEmail(ctx, varco.NormalizeEmail(email))
	if err != nil {
		return nil, err
	}
	return s.User(ctx, actor, a.ID)
}

// UserActivity returns an account's history, if the actor may see the account.
func (s *Service) UserActivity(ctx context.Context, actor Actor, id int64, f store.EventFilter) ([]*varco.Event, error) {
	if _, err := s.User(ctx, actor, id); err != nil {
		return nil, err
	}
	f.AccountID = id
	return s.db.Reader().ListEvents(ctx, f)
}

// OrgActivity returns an organization's history (support: every
// organization when orgID is 0).
func (s *Service) OrgActivity(ctx context.Context, actor Actor, orgID int64, f store.EventFilter) ([]*varco.Event, error) {
	switch {
	case isSupport(actor):
		f.OrgID = orgID
	case isOrgAdmin(actor):
		f.OrgID = actor.orgID()
	default:
		return nil, forbidden()
	}
	return s.db.Reader().ListEvents(ctx, f)
}

// DisableUser disables an account and revokes its sessions.
func (s *Service) DisableUser(ctx context.Context, actor Actor, id int64) error {
	a, err := s.managedUser(ctx, actor, id)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(q *store.Q) error {
		if err := q.SetAccountStatus(ctx, a.ID, varco.StatusDisabled); err != nil {
			return err
		}
		if _, err := q.RevokeAllSessions(ctx, a.ID, 0, now); err != nil {
			return err
		}
		varco.MailCredentialsChanged(s.mailCache, q, a.Email) // a disabled account's mail logins end too
		return q.AppendEvent(ctx, s.event(ctx, actor, a, now, varco.EventAccountDisabled, ""))
	})
}

// SetMailCache makes DisableUser tell c the account once it committed
// (varco.MailCredentialsChanged).
func (s *Service) SetMailCache(c varco.MailCache) { s.mailCache = c }

// OrgPolicy returns an organization's password policy: support for any
// organization, an org admin for its own (another is ENotFound).
func (s *Service) OrgPolicy(ctx context.Context, actor Actor, orgID int64) (*varco.Org, error) {
	if !isSupport(actor) && !(isOrgAdmin(actor) && actor.orgID() == orgID) {
		if isOrgAdmin(actor) {
			return nil, varco.Errorf(varco.ENotFound, "organization not found")
		}
		return nil, forbidden()
	}
	return s.db.Reader().OrgByID(ctx, orgID)
}

// MayEditOrgPolicy reports whether the actor may replace an organization's
// password policy: nil for support; another organization's org admin gets
// ENotFound, anyone else EForbidden. Pages call it to offer the form.
func (s *Service) MayEditOrgPolicy(actor Actor, orgID int64) error {
	if isSupport(actor) {
		return nil
	}
	if isOrgAdmin(actor) && actor.orgID() != orgID {
		return varco.Errorf(varco.ENotFound, "organization not found")
	}
	return forbidden()
}

// SetOrgPolicy replaces an organization's password policy; support only.
// It takes effect at the next run of the scheduled jobs. An invalid policy
// is a *varco.PolicyError naming the field.
func (s *Service) SetOrgPolicy(ctx context.Context, actor Actor, orgID int64, p varco.Policy) (*varco.Org, error) {
	if err := s.MayEditOrgPolicy(actor, orgID); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err := s.db.InTx(ctx, func(q *store.Q) error {
		if err := q.SetOrgPolicy(ctx, orgID, p); err != nil {
			return err
		}
		ev := s.event(ctx, actor, nil, now, varco.EventOrgPolicyChanged, fmt.Sprintf("max age %d d, warnings %s d, inactivity %d d, grace %d d, history %d",
			p.MaxAgeDays, varco.FormatDays(p.WarningDays), p.InactivityDays, p.SuspensionGraceDays, p.HistoryDepth))
		ev.OrgID = orgID
		return q.AppendEvent(ctx, ev)
	})
	if err != nil {
		return nil, err
	}
	return s.db.OrgByID(ctx, orgID)
}

// ReactivateUser makes a suspended account active again (SPEC §2.7): only
// support or an org admin of the same organization may (another
// organization's account is ENotFound). The user is e-mailed and must change
// the password at the next sign-in. An account that is not suspended is
// EConflict; a locked one is unlocked by support, not reactivated.
func (s *Service) ReactivateUser(ctx context.Context, actor Actor, id int64) (*varco.Account, error) {
	a, err := s.User(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	who, _ := actorName(actor)
	err = s.db.InTx(ctx, func(q *store.Q) error {
		ok, err := q.ReactivateAccount(ctx, a.ID)
		if err != nil {
			return err
		}
		if !ok {
			return varco.E(varco.EConflict, "error.not_suspended", a.Status)
		}
		if err := q.AppendEvent(ctx, s.event(ctx, actor, a, now, varco.EventAccountReactivated, "password change required at next sign-in")); err != nil {
			return err
		}
		return s.mailer.Enqueue(ctx, q, a, varco.EventAccountReactivated, notify.Data{Time: now, Actor: who})
	})
	if err != nil {
		return nil, err
	}
	return s.db.AccountByID(ctx, a.ID)
}

// SendResetLink e-mails an account a password reset link (SPEC §2.8, §4):
// support for any account, an org admin for its organization's (another's
// is ENotFound). It is recorded as the admin's password_reset_requested.
// Only an active account gets one (EConflict otherwise): a reset never
// reactivates (§4.4). The user's own earlier links stop working.
func (s *Service) SendResetLink(ctx context.Context, actor Actor, id int64) error {
	a, err := s.managedUser(ctx, actor, id)
	if err != nil {
		return err
	}
	if a.Status != varco.StatusActive {
		return varco.E(varco.EConflict, "error.reactivate_first", a.Status)
	}
	link, hash, err := recovery.NewResetLink(s.mailer.BaseURL)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	who, _ := actorName(actor)
	err = s.db.InTx(ctx, func(q *store.Q) error {
		if err := q.CreatePasswordReset(ctx, a.ID, hash, now, now.Add(recovery.ResetTTL)); err != nil {
			return err
		}
		if err := q.AppendEvent(ctx, s.event(ctx, actor, a, now, varco.EventPasswordResetRequested, "reset link sent by "+who)); err != nil {
			return err
		}
		return s.mailer.Enqueue(ctx, q, a, varco.EventPasswordResetRequested, notify.Data{Time: now, Actor: who,
			ResetURL: link, ResetExpiresAt: now.Add(recovery.ResetTTL)})
	})
	if err != nil {
		return fmt.Errorf("send reset link: %w", err)
	}
	return nil
}

// RequirePasswordChange makes an account change its password at the next
// sign-in, which then answers password_change_required (SPEC §2.8): the
// same scope as SendResetLink. Its sessions end, so the next sign-in comes
// at once. It is recorded as the admin's.
func (s *Service) RequirePasswordChange(ctx context.Context, actor Actor, id int64) error {
	a, err := s.managedUser(ctx, actor, id)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(q *store.Q) error {
		if err := q.RequirePasswordChange(ctx, a.ID); err != nil {
			return err
		}
		if _, err := q.RevokeAllSessions(ctx, a.ID, 0, now); err != nil {
			return err
		}
		return q.AppendEvent(ctx, s.event(ctx, actor, a, now, varco.EventPasswordChangeRequired, "password change required at next sign-in"))
	})
	if err != nil {
		return fmt.Errorf("require password change: %w", err)
	}
	return nil
}

// EnableUser gives a disabled account back its access; not disabled is
// EConflict (a suspended one is reactivated, a locked one unlocked).
func (s *Service) EnableUser(ctx context.Context, actor Actor, id int64) (*varco.Account, error) {
	a, err := s.managedUser(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(q *store.Q) error {
		ok, err := q.EnableAccount(ctx, a.ID)
		if err != nil {
			return err
		}
		if !ok {
			return varco.E(varco.EConflict, "error.not_disabled", a.Status)
		}
		return q.AppendEvent(ctx, s.event(ctx, actor, a, now, varco.EventAccountEnabled, ""))
	})
	if err != nil {
		return nil, err
	}
	return s.db.AccountByID(ctx, a.ID)
}

// Outbox lists outbox messages in a status (pending, sent, dead) for
// support, with recipients masked and no bodies.
func (s *Service) Outbox(ctx context.Context, actor Actor, status string, before int64, limit int) ([]store.OutboxEntry, error) {
	if !isSupport(actor) {
		return nil, forbidden()
	}
	switch status {
	case store.OutboxPending, store.OutboxSent, store.OutboxDead:
	default:
		return nil, varco.E(varco.EInvalid, "error.outbox_status")
	}
	list, err := s.db.Reader().ListOutbox(ctx, status, before, limit)
	for i := range list {
		list[i].To = notify.MaskedTo(notify.Message{Channel: list[i].Channel, To: list[i].To})
	}
	return list, err
}

// RetryMessage puts a dead-lettered message back in the queue; support only.
func (s *Service) RetryMessage(ctx context.Context, actor Actor, id int64) error {
	if !isSupport(actor) {
		return forbidden()
	}
	now := s.clock.Now()
	err := s.db.InTx(ctx, func(q *store.Q) error {
		if err := q.RetryDeadMessage(ctx, id, now); err != nil {
			return err
		}
		q.AfterCommit(s.mailer.Committed)
		return q.AppendEvent(ctx, s.event(ctx, actor, nil, now, varco.EventOutboxRetried, fmt.Sprintf("message %d", id)))
	})
	return err
}

// UnlockUser reopens an account locked by the step-up counters. Only
// support may (SPEC §5.8, seed): an org admin is refused with forbidden even
// for its own organization. Every counter is reset and the user is told.
func (s *Service) UnlockUser(ctx context.Context, actor Actor, id int64) (*varco.Account, error) {
	if !isSupport(actor) {
		return nil, varco.E(varco.EForbidden, "error.unlock_support_only")
	}
	a, err := s.User(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	who, _ := actorName(actor)
	err = s.db.InTx(ctx, func(q *store.Q) error {
		c, err := q.StepUpCountersOf(ctx, a.ID)
		if err != nil {
			return err
		}
		ok, err := q.UnlockAccount(ctx, a.ID)
		if err != nil {
			return err
		}
		if !ok {
			return varco.E(varco.EConflict, "error.not_locked", a.Status)
		}
		detail := "counters reset"
		if c.LockedReason != "" {
			detail = "locked by " + c.LockedReason + "; counters reset"
		}
		if err := q.AppendEvent(ctx, s.event(ctx, actor, a, now, varco.EventAccountUnlocked, detail)); err != nil {
			return err
		}
		return s.mailer.Enqueue(ctx, q, a, varco.EventAccountUnlocked, notify.Data{Time: now, Actor: who})
	})
	if err != nil {
		return nil, err
	}
	return s.db.AccountByID(ctx, a.ID)
}

// LockReason says which step-up counter locked an account ("" when it is
// not locked by one), for support (SPEC §5.8).
func (s *Service) LockReason(ctx context.Context, actor Actor, id int64) (string, error) {
	a, err := s.User(ctx, actor, id)
	if err != nil {
		return "", err
	}
	if a.Status != varco.StatusLocked {
		return "", nil
	}
	c, err := s.db.Reader().StepUpCountersOf(ctx, a.ID)
	return c.LockedReason, err
}

// OrgRisk returns an organization's step-up thresholds (SPEC §5.3), with
// the same scope as OrgPolicy.
func (s *Service) OrgRisk(ctx context.Context, actor Actor, orgID int64) (store.RiskThresholds, error) {
	if _, err := s.OrgPolicy(ctx, actor, orgID); err != nil {
		return store.RiskThresholds{}, err
	}
	return s.db.Reader().OrgRiskThresholds(ctx, orgID)
}

// SetOrgRisk replaces an organization's step-up thresholds; support only.
// They apply to the next sign-in.
func (s *Service) SetOrgRisk(ctx context.Context, actor Actor, orgID int64, t store.RiskThresholds) (store.RiskThresholds, error) {
	if err := s.MayEditOrgPolicy(actor, orgID); err != nil {
		return t, err
	}
	switch {
	case t.WindowDays < 1 || t.WindowDays > 3650:
		return t, varco.E(varco.EInvalid, "error.window_days")
	case t.DistanceKm < 1 || t.DistanceKm > 20040:
		return t, varco.E(varco.EInvalid, "error.distance_km")
	case t.SpeedKmh < 1 || t.SpeedKmh > 100000:
		return t, varco.E(varco.EInvalid, "error.speed_kmh")
	}
	now := s.clock.Now()
	err := s.db.InTx(ctx, func(q *store.Q) error {
		if err := q.SetOrgRiskThresholds(ctx, orgID, t); err != nil {
			return err
		}
		ev := s.event(ctx, actor, nil, now, varco.EventOrgPolicyChanged, fmt.Sprintf("step-up: window %d d, distance %d km, speed %d km/h",
			t.WindowDays, t.DistanceKm, t.SpeedKmh))
		ev.OrgID = orgID
		return q.AppendEvent(ctx, ev)
	})
	if err != nil {
		return t, err
	}
	return s.db.OrgRiskThresholds(ctx, orgID)
}
