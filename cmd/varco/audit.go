package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"varco.dev/varco"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/audit"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/store"
)

// auditVerifyOptions are the flags of `varco audit verify`.
type auditVerifyOptions struct {
	Account    string // --account: only this account's chain
	Checkpoint string // --checkpoint: a checkpoint file shipped back from elsewhere
}

// auditVerify checks the activity history against the newest checkpoint
// and prints what it found; a problem is an error (exit status 1).
func auditVerify(ctx context.Context, cfg *config.Config, db *store.DB, opt auditVerifyOptions, stdout io.Writer) error {
	dir := app.AuditDir(cfg)
	keys, err := audit.LoadKeys(dir, false)
	if errors.Is(err, audit.ErrNoKeys) {
		sealed, serr := db.Reader().HasSealedEvents(ctx)
		_, cerr := db.Reader().LatestCheckpoint(ctx)
		newest, nerr := audit.Newest(dir)
		if serr == nil && !sealed && varco.ErrorCode(cerr) == varco.ENotFound && nerr == nil && newest == "" {
			fmt.Fprintln(stdout, "activity history intact: nothing sealed yet")
			return nil
		}
		return fmt.Errorf("activity history cannot be verified: %w", err)
	}
	if err != nil {
		return err
	}
	vo := audit.Options{}
	path := opt.Checkpoint
	if path == "" {
		if path, err = audit.Newest(dir); err != nil {
			return err
		}
	}
	if path != "" {
		if vo.Trusted, err = audit.ReadFile(path); err != nil {
			return err
		}
	}
	what := "entries"
	if opt.Account != "" {
		acc, err := db.Reader().AccountByEmail(ctx, varco.NormalizeEmail(opt.Account))
		if err != nil {
			return cliError(err)
		}
		vo.Chain = varco.AccountChain(acc.ID)
		what = "entries of " + acc.Email
	}
	r, err := audit.Verify(ctx, db.Reader(), keys, vo)
	if err != nil {
		return err
	}
	against := "no checkpoint yet: a cut tail could not be detected"
	if r.Checkpoint != nil {
		against = fmt.Sprintf("checked against checkpoint %d of %s", r.Checkpoint.N, r.Checkpoint.Time.Format("2006-01-02 15:04:05Z07:00"))
	}
	if r.OK() {
		fmt.Fprintf(stdout, "activity history intact: %d %s in %d chains verified; %s\n", r.Events, what, r.Chains, against)
		return nil
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, p)
	}
	if r.Omitted > 0 {
		fmt.Fprintf(stdout, "… and %d more problems\n", r.Omitted)
	}
	return fmt.Errorf("activity history NOT intact: %s (%d problems; %s)", r.Problems[0], len(r.Problems)+r.Omitted, against)
}

// auditCheckpoint writes a signed checkpoint now, to the audit directory
// and the database.
func auditCheckpoint(ctx context.Context, a *app.App, stdout io.Writer) error {
	b, err := a.Checkpoint(ctx, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "checkpoint %d written to %s: %d chains changed since the previous one\n",
		b.N, app.AuditDir(a.Cfg), len(b.Heads))
	return nil
}

// auditRotateKey makes a new chain key current; the old ones stay for
// verification.
func auditRotateKey(cfg *config.Config, stdout io.Writer) error {
	id, err := audit.RotateChainKey(app.AuditDir(cfg))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new audit key %s is current; restart every varco process to use it\n", id)
	return nil
}
