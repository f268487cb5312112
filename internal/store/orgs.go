package store

import (
	"context"
	"fmt"

	"varco.dev/varco"
)

// CreateOrg inserts an organization and sets its ID. A taken name is EConflict.
func (q *Q) CreateOrg(ctx context.Context, o *varco.Org) error {
	err := q.queryRow(ctx,
		`INSERT INTO orgs (name, plan, created_at) VALUES ($1, $2, $3) RETURNING id`,
		o.Name, o.Plan, ts(o.CreatedAt)).Scan(&o.ID)
	if err != nil {
		return fmt.Errorf("create org: %w", mapError(err, "organization"))
	}
	return nil
}

const orgColumns = `id, name, plan, created_at`

func scanOrg(row interface{ Scan(...any) error }) (*varco.Org, error) {
	var o varco.Org
	var created int64
	if err := row.Scan(&o.ID, &o.Name, &o.Plan, &created); err != nil {
		return nil, err
	}
	o.CreatedAt = tm(created)
	return &o, nil
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
