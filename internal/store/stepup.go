package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/text"
)

// LoginFlow is a sign-in that needs more than the password (SPEC §9): a
// step-up code, or a password change. Its id is a secret the client holds;
// only its SHA-256 is stored.
type LoginFlow struct {
	ID          int64
	FlowHash    []byte
	AccountID   int64
	State       string
	Methods     varco.Methods // step-up methods offered
	LastMethod  string        // the method of the newest code sent
	MustChange  bool          // a password change follows the step-up
	IP          string
	UserAgent   string
	Application string
	Location    string
	Place       Place
	RiskRule    string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Place is where an account signed in from: a country and coordinates, or
// only an IP when there is no location for it. Key identifies it among the
// account's places.
type Place struct {
	Key        string
	Country    string
	IP         string
	Lat, Lon   float64
	HasCoords  bool
	LastSeenAt time.Time
}

// StepUpCode is one PIN or OTP sent; only its keyed hash is stored.
type StepUpCode struct {
	ID        int64
	AccountID int64
	FlowID    int64
	Method    string
	CodeHash  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

const flowColumns = `id, flow_hash, account_id, state, methods, last_method, must_change, ip, user_agent,
	application, location, place_key, country, lat, lon, has_coords, risk_rule, created_at, expires_at`

// CreateLoginFlow inserts f and sets its ID.
func (q *Q) CreateLoginFlow(ctx context.Context, f *LoginFlow) error {
	f.IP, f.UserAgent = text.Record(f.IP, maxIPText), text.Record(f.UserAgent, text.MaxUserAgent)
	f.Application, f.Location = text.Record(f.Application, maxShortText), text.Record(f.Location, maxLocationText)
	err := q.queryRow(ctx, `INSERT INTO login_flows (flow_hash, account_id, state, methods, last_method, must_change,
		ip, user_agent, application, location, place_key, country, lat, lon, has_coords, risk_rule, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
		f.FlowHash, f.AccountID, f.State, f.Methods.String(), f.LastMethod, f.MustChange, f.IP, f.UserAgent, f.Application,
		f.Location, f.Place.Key, f.Place.Country, f.Place.Lat, f.Place.Lon, f.Place.HasCoords, f.RiskRule, ts(f.CreatedAt),
		ts(f.ExpiresAt)).Scan(&f.ID)
	if err != nil {
		return fmt.Errorf("create login flow: %w", mapError(err, "login flow"))
	}
	return nil
}

// LoginFlowByHash returns the flow with that id hash, or ENotFound. Expiry
// is the caller's decision. Inside a transaction on PostgreSQL the row is
// locked, so two requests on one flow take turns.
func (q *Q) LoginFlowByHash(ctx context.Context, hash []byte) (*LoginFlow, error) {
	var f LoginFlow
	var created, expires int64
	var methods string
	err := q.queryRow(ctx, `SELECT `+flowColumns+` FROM login_flows WHERE flow_hash = $1`+q.forUpdate(), hash).Scan(
		&f.ID, &f.FlowHash, &f.AccountID, &f.State, &methods, &f.LastMethod, &f.MustChange, &f.IP, &f.UserAgent,
		&f.Application, &f.Location, &f.Place.Key, &f.Place.Country, &f.Place.Lat, &f.Place.Lon, &f.Place.HasCoords, &f.RiskRule,
		&created, &expires)
	if err != nil {
		return nil, fmt.Errorf("login flow: %w", notFound(err, "login flow"))
	}
	f.CreatedAt, f.ExpiresAt, f.Methods = tm(created), tm(expires), varco.ParseMethods(methods)
	f.Place.IP = f.IP
	return &f, nil
}

// UpdateLoginFlow stores a flow's state, last method and password-change
// flag.
func (q *Q) UpdateLoginFlow(ctx context.Context, f *LoginFlow) error {
	if _, err := q.exec(ctx, `UPDATE login_flows SET state = $2, last_method = $3, must_change = $4 WHERE id = $1`,
		f.ID, f.State, f.LastMethod, f.MustChange); err != nil {
		return fmt.Errorf("update login flow: %w", err)
	}
	return nil
}

// EndLoginFlows marks every open flow of an account as ended with state
// (used when the account locks: no flow may go on).
func (q *Q) EndLoginFlows(ctx context.Context, accountID int64, state string) error {
	if _, err := q.exec(ctx, `UPDATE login_flows SET state = $2
		WHERE account_id = $1 AND state IN ('step_up_required', 'password_change_required', 'push_required', 'push_approved')`, accountID, state); err != nil {
		return fmt.Errorf("end login flows: %w", err)
	}
	return nil
}

// LockStepUpCounters returns the account's counters, creating them, and on
// PostgreSQL locks the row until the transaction ends. On SQLite the
// transaction already holds the single writer. Call it first in the
// transaction that checks a code, so parallel attempts are taken one at a
// time and each sees the count the one before left (SPEC §5.7).
func (q *Q) LockStepUpCounters(ctx context.Context, accountID int64) (varco.StepUpCounters, error) {
	if _, err := q.exec(ctx, `INSERT INTO step_up_counters (account_id) VALUES ($1) ON CONFLICT (account_id) DO NOTHING`,
		accountID); err != nil {
		return varco.StepUpCounters{}, fmt.Errorf("step-up counters: %w", err)
	}
	return q.stepUpCounters(ctx, accountID, q.forUpdate())
}

// StepUpCountersOf reads an account's counters without locking them (zero
// when it has none).
func (q *Q) StepUpCountersOf(ctx context.Context, accountID int64) (varco.StepUpCounters, error) {
	c, err := q.stepUpCounters(ctx, accountID, "")
	if varco.IsCode(err, varco.ENotFound) {
		return varco.StepUpCounters{}, nil
	}
	return c, err
}

// stepUpCounters reads an account's counters row, ENotFound without one;
// lock is appended to the query.
func (q *Q) stepUpCounters(ctx context.Context, accountID int64, lock string) (varco.StepUpCounters, error) {
	var c varco.StepUpCounters
	var last int64
	err := q.queryRow(ctx, `SELECT pin_consecutive, pin_total, pin_last_failed_at, otp_total, locked_reason
		FROM step_up_counters WHERE account_id = $1`+lock, accountID).
		Scan(&c.PINConsecutive, &c.PINTotal, &last, &c.OTPTotal, &c.LockedReason)
	if err != nil {
		return varco.StepUpCounters{}, fmt.Errorf("step-up counters: %w", notFound(err, "step-up counters"))
	}
	c.PINLastFailedAt = tm(last)
	return c, nil
}

// SaveStepUpCounters writes counters taken with LockStepUpCounters.
func (q *Q) SaveStepUpCounters(ctx context.Context, accountID int64, c varco.StepUpCounters) error {
	if _, err := q.exec(ctx, `UPDATE step_up_counters SET pin_consecutive = $2, pin_total = $3, pin_last_failed_at = $4,
		otp_total = $5, locked_reason = $6 WHERE account_id = $1`,
		accountID, c.PINConsecutive, c.PINTotal, ts(c.PINLastFailedAt), c.OTPTotal, c.LockedReason); err != nil {
		return fmt.Errorf("save step-up counters: %w", err)
	}
	return nil
}

// InsertStepUpCode stores a code and sets its ID.
func (q *Q) InsertStepUpCode(ctx context.Context, c *StepUpCode) error {
	err := q.queryRow(ctx, `INSERT INTO step_up_codes (account_id, flow_id, method, code_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		c.AccountID, c.FlowID, c.Method, c.CodeHash, ts(c.CreatedAt), ts(c.ExpiresAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("insert step-up code: %w", err)
	}
	return nil
}

// NewestStepUpCodes returns the account's newest n codes of method, newest
// first, used or not.
func (q *Q) NewestStepUpCodes(ctx context.Context, accountID int64, method string, n int) ([]StepUpCode, error) {
	rows, err := q.query(ctx, `SELECT id, account_id, flow_id, method, code_hash, created_at, expires_at, used_at
		FROM step_up_codes WHERE account_id = $1 AND method = $2 ORDER BY id DESC LIMIT $3`, accountID, method, n)
	if err != nil {
		return nil, fmt.Errorf("step-up codes: %w", err)
	}
	defer rows.Close()
	var out []StepUpCode
	for rows.Next() {
		var c StepUpCode
		var created, expires, used int64
		if err := rows.Scan(&c.ID, &c.AccountID, &c.FlowID, &c.Method, &c.CodeHash, &created, &expires, &used); err != nil {
			return nil, fmt.Errorf("step-up codes: %w", err)
		}
		c.CreatedAt, c.ExpiresAt, c.UsedAt = tm(created), tm(expires), tm(used)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CodesSentSince counts the account's codes of method sent at or after
// since, and returns when the oldest and the newest of them were sent.
func (q *Q) CodesSentSince(ctx context.Context, accountID int64, method string, since time.Time) (n int, first, last time.Time, err error) {
	var f, l int64
	err = q.queryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(created_at), 0), COALESCE(MAX(created_at), 0) FROM step_up_codes
		WHERE account_id = $1 AND method = $2 AND created_at >= $3`, accountID, method, ts(since)).Scan(&n, &f, &l)
	if err != nil {
		return 0, time.Time{}, time.Time{}, fmt.Errorf("count step-up codes: %w", err)
	}
	return n, tm(f), tm(l), nil
}

// VoidStepUpCodes marks every unused code of the account as used at at.
func (q *Q) VoidStepUpCodes(ctx context.Context, accountID int64, at time.Time) error {
	if _, err := q.exec(ctx, `UPDATE step_up_codes SET used_at = $2 WHERE account_id = $1 AND used_at = 0`,
		accountID, ts(at)); err != nil {
		return fmt.Errorf("void step-up codes: %w", err)
	}
	return nil
}

// LockAccount moves an active account to locked and records why in its
// counters; false when it was not active.
func (q *Q) LockAccount(ctx context.Context, accountID int64, reason string) (bool, error) {
	res, err := q.exec(ctx, `UPDATE accounts SET status = 'locked' WHERE id = $1 AND status = 'active'`, accountID)
	if err != nil {
		return false, fmt.Errorf("lock account: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lock account: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	if _, err := q.exec(ctx, `UPDATE step_up_counters SET locked_reason = $2 WHERE account_id = $1`, accountID, reason); err != nil {
		return false, fmt.Errorf("lock account: %w", err)
	}
	return true, nil
}

// UnlockAccount moves a locked account back to active and resets every
// step-up counter (SPEC §5.8); false when it was not locked.
func (q *Q) UnlockAccount(ctx context.Context, accountID int64) (bool, error) {
	res, err := q.exec(ctx, `UPDATE accounts SET status = 'active' WHERE id = $1 AND status = 'locked'`, accountID)
	if err != nil {
		return false, fmt.Errorf("unlock account: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("unlock account: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	if _, err := q.exec(ctx, `UPDATE step_up_counters SET pin_consecutive = 0, pin_total = 0, pin_last_failed_at = 0,
		otp_total = 0, locked_reason = '' WHERE account_id = $1`, accountID); err != nil {
		return false, fmt.Errorf("unlock account: %w", err)
	}
	return true, nil
}

// LoginPlaces returns up to limit of the account's places, most recently
// used first.
func (q *Q) LoginPlaces(ctx context.Context, accountID int64, limit int) ([]Place, error) {
	rows, err := q.query(ctx, `SELECT place_key, country, ip, lat, lon, has_coords, last_seen_at FROM login_places
		WHERE account_id = $1 ORDER BY last_seen_at DESC LIMIT $2`, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("login places: %w", err)
	}
	defer rows.Close()
	var out []Place
	for rows.Next() {
		var p Place
		var seen int64
		if err := rows.Scan(&p.Key, &p.Country, &p.IP, &p.Lat, &p.Lon, &p.HasCoords, &seen); err != nil {
			return nil, fmt.Errorf("login places: %w", err)
		}
		p.LastSeenAt = tm(seen)
		out = append(out, p)
	}
	return out, rows.Err()
}

// TouchPlace records a successful sign-in from p at p.LastSeenAt, making
// the place usual.
func (q *Q) TouchPlace(ctx context.Context, accountID int64, p Place) error {
	if _, err := q.exec(ctx, `INSERT INTO login_places (account_id, place_key, country, ip, lat, lon, has_coords, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (account_id, place_key) DO UPDATE SET ip = excluded.ip, lat = excluded.lat, lon = excluded.lon,
			last_seen_at = CASE WHEN excluded.last_seen_at > login_places.last_seen_at
				THEN excluded.last_seen_at ELSE login_places.last_seen_at END`,
		accountID, p.Key, p.Country, p.IP, p.Lat, p.Lon, p.HasCoords, ts(p.LastSeenAt)); err != nil {
		return fmt.Errorf("touch login place: %w", err)
	}
	return nil
}

// DeleteExpiredLoginFlows deletes flows and codes that expired before
// before, and returns how many rows went.
func (q *Q) DeleteExpiredLoginFlows(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, stmt := range []string{
		`DELETE FROM step_up_codes WHERE expires_at < $1`,
		`DELETE FROM login_flows WHERE expires_at < $1`,
	} {
		res, err := q.exec(ctx, stmt, ts(before))
		if err != nil {
			return total, fmt.Errorf("delete expired login flows: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// RiskThresholds are an organization's step-up thresholds (SPEC §5.3).
type RiskThresholds struct {
	WindowDays int // logins of the last N days make places usual (180)
	DistanceKm int // farther than this from every usual place needs a step-up (500)
	SpeedKmh   int // faster travel from the previous login needs a step-up (1000)
}

// DefaultRiskThresholds are the defaults of SPEC §5.3.
func DefaultRiskThresholds() RiskThresholds {
	return RiskThresholds{WindowDays: 180, DistanceKm: 500, SpeedKmh: 1000}
}

// OrgRiskThresholds returns an organization's thresholds.
func (q *Q) OrgRiskThresholds(ctx context.Context, orgID int64) (RiskThresholds, error) {
	var t RiskThresholds
	err := q.queryRow(ctx, `SELECT risk_window_days, risk_distance_km, risk_speed_kmh FROM orgs WHERE id = $1`, orgID).
		Scan(&t.WindowDays, &t.DistanceKm, &t.SpeedKmh)
	if err != nil {
		return t, fmt.Errorf("org risk thresholds: %w", notFound(err, "organization"))
	}
	return t, nil
}

// SetOrgRiskThresholds replaces an organization's thresholds.
func (q *Q) SetOrgRiskThresholds(ctx context.Context, orgID int64, t RiskThresholds) error {
	res, err := q.exec(ctx, `UPDATE orgs SET risk_window_days = $2, risk_distance_km = $3, risk_speed_kmh = $4 WHERE id = $1`,
		orgID, t.WindowDays, t.DistanceKm, t.SpeedKmh)
	if err != nil {
		return fmt.Errorf("set org risk thresholds: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set org risk thresholds: %w", notFound(sql.ErrNoRows, "organization"))
	}
	return nil
}
