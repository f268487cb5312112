package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/text"
)

// LoginView is everything a sign-in decides on before and right after its
// password is checked, read in one query: the throttling state of the
// keys asked for, the account, its organization's password policy and
// risk thresholds, and whether 2-step verification is on.
type LoginView struct {
	Throttles map[string]Throttle // as ThrottleStates: keys without state are absent
	Account   *varco.Account
	// Policy and Risk are the organization's; the defaults for an account
	// of none (support).
	Policy    varco.Policy
	Risk      RiskThresholds
	TwoFactor bool
}

// Login returns the LoginView of the account with that (normalized)
// login, with the throttling state of acctKey and ipKey, or ENotFound when
// there is no such account (ask ThrottleStates then).
func (q *Q) Login(ctx context.Context, email, acctKey, ipKey string) (*LoginView, error) {
	row := q.queryRow(ctx, `SELECT COALESCE(ta.failures, -1), COALESCE(ta.window_start, 0), COALESCE(ta.blocked_until, 0),
		COALESCE(ti.failures, -1), COALESCE(ti.window_start, 0), COALESCE(ti.blocked_until, 0),
		`+accountColumns+`, o.id IS NOT NULL,
		COALESCE(o.password_max_age_days, 0), COALESCE(o.password_warning_days, ''), COALESCE(o.inactivity_days, 0),
		COALESCE(o.suspension_grace_days, 0), COALESCE(o.password_history_depth, 0),
		COALESCE(o.risk_window_days, 0), COALESCE(o.risk_distance_km, 0), COALESCE(o.risk_speed_kmh, 0),
		EXISTS (SELECT 1 FROM push_devices d WHERE d.account_id = a.id)`+accountFrom+`
		LEFT JOIN throttle ta ON ta.key = $2
		LEFT JOIN throttle ti ON ti.key = $3
		WHERE a.email = $1`, email, acctKey, ipKey)
	var v LoginView
	var th [2]struct{ failures, start, blocked int64 }
	var hasOrg bool
	var p varco.Policy
	var days string
	var risk RiskThresholds
	a, err := scanAccount(scanFunc(func(dest ...any) error {
		head := []any{&th[0].failures, &th[0].start, &th[0].blocked, &th[1].failures, &th[1].start, &th[1].blocked}
		return row.Scan(append(append(head, dest...), &hasOrg, &p.MaxAgeDays, &days, &p.InactivityDays,
			&p.SuspensionGraceDays, &p.HistoryDepth, &risk.WindowDays, &risk.DistanceKm, &risk.SpeedKmh, &v.TwoFactor)...)
	}))
	if err != nil {
		return nil, fmt.Errorf("login: %w", notFound(err, "account"))
	}
	v.Account = a
	v.Throttles = make(map[string]Throttle, 2)
	for i, k := range []string{acctKey, ipKey} {
		if th[i].failures >= 0 {
			v.Throttles[k] = Throttle{Failures: int(th[i].failures), WindowStart: tm(th[i].start), BlockedUntil: tm(th[i].blocked)}
		}
	}
	v.Policy, v.Risk = varco.DefaultPolicy(), DefaultRiskThresholds()
	if hasOrg {
		for _, f := range strings.Split(days, ",") {
			if d, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
				p.WarningDays = append(p.WarningDays, d)
			}
		}
		v.Policy, v.Risk = p, risk
	}
	return &v, nil
}

// SignIn is what a completed sign-in writes in its transaction (SignIn).
type SignIn struct {
	Session *varco.Session // inserted; its ID is set
	// Place is where the sign-in comes from ("" Key: unknown); it is made
	// usual at Place.LastSeenAt only if the account used it at or after
	// Since.
	Place Place
	// DeviceKey is the sign-in's device; it is marked used at At only if
	// the account used it at or after Since.
	DeviceKey string
	Since     time.Time
	At        time.Time // last_login_at
	// ClearAlert, if set, is the kind of the account's alert to remove.
	ClearAlert string
}

// SignInResult says what SignIn found: whether the sign-in's place and
// device had been used since Since (and were touched).
type SignInResult struct {
	PlaceSeen, DeviceSeen bool
}

// SignIn writes the common part of a completed sign-in: the session, the
// account's last sign-in, the place and the device when they are usual
// (touched only then, so that the caller knows which are new and records
// them with TouchPlace and TouchDevice), and the removal of an alert. On
// PostgreSQL it is one statement; call it inside a transaction.
func (q *Q) SignIn(ctx context.Context, in *SignIn) (SignInResult, error) {
	var r SignInResult
	s := in.Session
	s.IP, s.UserAgent = text.Record(s.IP, maxIPText), text.Record(s.UserAgent, text.MaxUserAgent)
	if q.d == dialectPostgres {
		// Every part sees the snapshot the statement started with, and
		// none reads what another writes: the parts are independent.
		err := q.queryRow(ctx, `WITH s AS (
			INSERT INTO sessions (account_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent, restricted)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id),
		a AS (UPDATE accounts SET last_login_at = $9 WHERE id = $1),
		p AS (UPDATE login_places SET ip = $11, lat = $12, lon = $13,
				last_seen_at = CASE WHEN $14 > last_seen_at THEN $14 ELSE last_seen_at END
			WHERE $10 <> '' AND account_id = $1 AND place_key = $10 AND last_seen_at >= $15 RETURNING 1),
		d AS (UPDATE login_devices SET last_seen_at = $9
			WHERE account_id = $1 AND device_key = $16 AND last_seen_at >= $15 RETURNING 1),
		al AS (DELETE FROM alerts WHERE $17 <> '' AND account_id = $1 AND kind = $17)
		SELECT (SELECT id FROM s), EXISTS (SELECT 1 FROM p), EXISTS (SELECT 1 FROM d)`,
			s.AccountID, s.TokenHash, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt), s.IP, s.UserAgent, s.Restricted,
			ts(in.At), in.Place.Key, in.Place.IP, in.Place.Lat, in.Place.Lon, ts(in.Place.LastSeenAt), ts(in.Since),
			in.DeviceKey, in.ClearAlert).Scan(&s.ID, &r.PlaceSeen, &r.DeviceSeen)
		if err != nil {
			return r, fmt.Errorf("sign in: %w", mapError(err, "session"))
		}
		return r, nil
	}
	if err := q.CreateSession(ctx, s); err != nil {
		return r, err
	}
	if err := q.RecordLogin(ctx, s.AccountID, in.At); err != nil {
		return r, err
	}
	if in.Place.Key != "" {
		res, err := q.exec(ctx, `UPDATE login_places SET ip = $3, lat = $4, lon = $5,
			last_seen_at = CASE WHEN $6 > last_seen_at THEN $6 ELSE last_seen_at END
			WHERE account_id = $1 AND place_key = $2 AND last_seen_at >= $7`,
			s.AccountID, in.Place.Key, in.Place.IP, in.Place.Lat, in.Place.Lon, ts(in.Place.LastSeenAt), ts(in.Since))
		if err != nil {
			return r, fmt.Errorf("sign in: touch place: %w", err)
		}
		if r.PlaceSeen, err = affected(res); err != nil {
			return r, fmt.Errorf("sign in: touch place: %w", err)
		}
	}
	res, err := q.exec(ctx, `UPDATE login_devices SET last_seen_at = $3
		WHERE account_id = $1 AND device_key = $2 AND last_seen_at >= $4`, s.AccountID, in.DeviceKey, ts(in.At), ts(in.Since))
	if err != nil {
		return r, fmt.Errorf("sign in: touch device: %w", err)
	}
	if r.DeviceSeen, err = affected(res); err != nil {
		return r, fmt.Errorf("sign in: touch device: %w", err)
	}
	if in.ClearAlert != "" {
		if err := q.ClearAlert(ctx, s.AccountID, in.ClearAlert); err != nil {
			return r, err
		}
	}
	return r, nil
}

// affected reports whether res changed a row.
func affected(res sql.Result) (bool, error) {
	n, err := res.RowsAffected()
	return n > 0, err
}

// HasPlaces reports whether the account has any place at all.
func (q *Q) HasPlaces(ctx context.Context, accountID int64) (bool, error) {
	var any bool
	if err := q.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM login_places WHERE account_id = $1)`, accountID).Scan(&any); err != nil {
		return false, fmt.Errorf("has places: %w", err)
	}
	return any, nil
}
