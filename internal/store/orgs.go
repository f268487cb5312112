package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"varco.dev/varco"
)

// CreateOrg inserts an organization and sets its ID; a zero Policy becomes
// the default one, an empty Country varco.DefaultCountry. A taken name is
// EConflict.
func (q *Q) CreateOrg(ctx context.Context, o *varco.Org) error {
	if o.Policy.MaxAgeDays == 0 {
		o.Policy = varco.DefaultPolicy()
	}
	if o.TimeZone == "" {
		o.TimeZone = varco.DefaultTimeZone
	}
	if o.Country == "" {
		o.Country = varco.DefaultCountry
	}
	p := o.Policy
	err := q.queryRow(ctx,
		`INSERT INTO orgs (name, plan, created_at, password_max_age_days, password_warning_days, inactivity_days,
			suspension_grace_days, password_history_depth, time_zone, country) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		o.Name, o.Plan, ts(o.CreatedAt), p.MaxAgeDays, varco.FormatDays(p.WarningDays), p.InactivityDays,
		p.SuspensionGraceDays, p.HistoryDepth, o.TimeZone, o.Country).Scan(&o.ID)
	if err != nil {
		return fmt.Errorf("create org: %w", mapError(err, "organization"))
	}
	return nil
}

const orgColumns = `id, name, plan, created_at, password_max_age_days, password_warning_days, inactivity_days,
	suspension_grace_days, password_history_depth, time_zone, country`

func scanOrg(row interface{ Scan(...any) error }) (*varco.Org, error) {
	var o varco.Org
	var created int64
	var days string
	p := &o.Policy
	if err := row.Scan(&o.ID, &o.Name, &o.Plan, &created, &p.MaxAgeDays, &days, &p.InactivityDays,
		&p.SuspensionGraceDays, &p.HistoryDepth, &o.TimeZone, &o.Country); err != nil {
		return nil, err
	}
	o.CreatedAt = tm(created)
	for _, f := range strings.Split(days, ",") {
		if d, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			p.WarningDays = append(p.WarningDays, d)
		}
	}
	return &o, nil
}

// SetOrgTimeZone sets the default zone of an organization's accounts;
// ENotFound when there is no such organization.
func (q *Q) SetOrgTimeZone(ctx context.Context, orgID int64, zone string) error {
	res, err := q.exec(ctx, `UPDATE orgs SET time_zone = $1 WHERE id = $2`, zone, orgID)
	if err != nil {
		return fmt.Errorf("set org time zone: %w", err)
	}
	return mustAffect(res, "organization")
}

// SetOrgPolicy replaces an organization's password policy and makes every
// account of it due for the lifecycle jobs; ENotFound when there is no such
// organization.
func (q *Q) SetOrgPolicy(ctx context.Context, orgID int64, p varco.Policy) error {
	res, err := q.exec(ctx, `UPDATE orgs SET password_max_age_days = $1, password_warning_days = $2,
		inactivity_days = $3, suspension_grace_days = $4, password_history_depth = $5 WHERE id = $6`,
		p.MaxAgeDays, varco.FormatDays(p.WarningDays), p.InactivityDays, p.SuspensionGraceDays, p.HistoryDepth, orgID)
	if err != nil {
		return fmt.Errorf("set org policy: %w", err)
	}
	if err := mustAffect(res, "organization"); err != nil {
		return err
	}
	// Every next_notice_at of the organization was computed with the old
	// policy: make its accounts due, so the next run of the jobs applies
	// the new one.
	if _, err := q.exec(ctx, `UPDATE accounts SET next_notice_at = 0 WHERE org_id = $1 AND next_notice_at <> 0`, orgID); err != nil {
		return fmt.Errorf("set org policy: reset next notices: %w", err)
	}
	return nil
}

// OrgByName returns the organization with that name, or ENotFound.
func (q *Q) OrgByName(ctx context.Context, name string) (*varco.Org, error) {
	o, err := scanOrg(q.queryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = $1`, name))
	if err != nil {
		return nil, fmt.Errorf("org by name: %w", notFound(err, "organization"))
	}
	return o, nil
}

// OrgByID returns the organization with that id, or ENotFound.
func (q *Q) OrgByID(ctx context.Context, id int64) (*varco.Org, error) {
	o, err := scanOrg(q.queryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("org by id: %w", notFound(err, "organization"))
	}
	return o, nil
}

// OrgForLogin returns an organization and its risk thresholds in one
// query: what a sign-in needs of it; ENotFound when there is none.
func (q *Q) OrgForLogin(ctx context.Context, id int64) (*varco.Org, RiskThresholds, error) {
	var t RiskThresholds
	row := q.queryRow(ctx, `SELECT `+orgColumns+`, risk_window_days, risk_distance_km, risk_speed_kmh FROM orgs WHERE id = $1`, id)
	o, err := scanOrg(scanFunc(func(dest ...any) error {
		return row.Scan(append(dest, &t.WindowDays, &t.DistanceKm, &t.SpeedKmh)...)
	}))
	if err != nil {
		return nil, t, fmt.Errorf("org for login: %w", notFound(err, "organization"))
	}
	return o, t, nil
}

// ListOrgs returns every organization, ordered by name.
func (q *Q) ListOrgs(ctx context.Context) ([]*varco.Org, error) {
	rows, err := q.query(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	defer rows.Close()
	var out []*varco.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("list orgs: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
