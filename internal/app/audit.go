package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/audit"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/webpush"
)

// AuditDir is where the audit keys and checkpoints of cfg live.
func AuditDir(cfg *config.Config) string {
	if cfg.AuditDir != "" {
		return cfg.AuditDir
	}
	return audit.DefaultDir(cfg.DatabaseURL)
}

// OpenAudit loads the keys the activity history is sealed with and gives
// them to db. Keys are generated when the history has no sealed entry yet
// (a new deployment, or one upgraded from the single unkeyed chain); once
// entries are sealed a missing key refuses to start, since the history
// could no longer be checked. Before the first checkpoint anchors it, the
// history written so far must verify: an upgrade keeps the proof that the
// old entries were not changed only if they were intact when anchored.
func OpenAudit(ctx context.Context, db *store.DB, cfg *config.Config) (*audit.Keys, error) {
	dir := AuditDir(cfg)
	sealed, err := db.Reader().HasSealedEvents(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := audit.LoadKeys(dir, cfg.Dev || !sealed)
	if errors.Is(err, audit.ErrNoKeys) {
		return nil, fmt.Errorf("%w: the activity history is sealed with keys kept in %s (VARCO_AUDIT_DIR); restore them from the backup", err, dir)
	}
	if err != nil {
		return nil, err
	}
	db.SetAuditKeys(keys.Chain)
	switch _, err := db.Reader().LatestCheckpoint(ctx); {
	case varco.ErrorCode(err) == varco.ENotFound:
		r, err := audit.Verify(ctx, db.Reader(), keys, audit.Options{})
		if err != nil {
			return nil, err
		}
		if !r.OK() {
			return nil, fmt.Errorf("the activity history does not verify before its first checkpoint (%s); run varco audit verify", r.Problems[0])
		}
	case err != nil:
		return nil, err
	}
	return keys, nil
}

// Checkpoint writes a signed checkpoint of every chain that changed since
// the last one (with force, one in any case), to the audit directory and
// the database.
func (a *App) Checkpoint(ctx context.Context, force bool) (*audit.Body, error) {
	return audit.Write(ctx, a.DB, a.Audit, AuditDir(a.Cfg), a.Clock.Now(), force)
}

// checkpoints writes a checkpoint every interval while something changed,
// until ctx ends. Several processes may try at once: the database numbers
// checkpoints, so one wins and the others find nothing left to anchor.
func (a *App) checkpoints(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.Checkpoint(ctx, false); err != nil && ctx.Err() == nil {
			level := slog.LevelError
			if varco.ErrorCode(err) == varco.EConflict {
				level = slog.LevelDebug // another process wrote this one
			}
			a.Log.Log(ctx, level, "audit checkpoint", "err", err)
		}
	}
}

// VerifyAccount checks one account's chain against the newest checkpoint
// in the audit directory.
func (a *App) VerifyAccount(ctx context.Context, accountID int64) (*audit.Report, error) {
	opt := audit.Options{Chain: varco.AccountChain(accountID)}
	path, err := audit.Newest(AuditDir(a.Cfg))
	if err != nil {
		return nil, err
	}
	if path != "" {
		if opt.Trusted, err = audit.ReadFile(path); err != nil {
			return nil, err
		}
	}
	return audit.Verify(ctx, a.DB.Reader(), a.Audit, opt)
}

// openAppPasswordKeys loads the server keys app passwords are hashed under,
// kept beside the audit keys (apppassword.KeysFile). They are generated
// while no app password exists; once one does, a missing key refuses to
// start rather than make a new key that silently fails every mail client.
func openAppPasswordKeys(ctx context.Context, db *store.DB, cfg *config.Config) (*apppassword.Keys, error) {
	dir := AuditDir(cfg)
	exist, err := db.Reader().HasAppPasswords(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := apppassword.LoadKeys(dir, !exist)
	if errors.Is(err, apppassword.ErrNoKeys) {
		return nil, fmt.Errorf("%w: app passwords are hashed with keys kept in %s (VARCO_AUDIT_DIR); restore them from the backup", err, dir)
	}
	return keys, err
}

// openVAPID loads the server's VAPID key (webpush.KeyFile), kept beside the
// audit keys, and its subject. It is generated while no push subscription
// exists; once one does, a missing key refuses to start rather than make
// a new key the push services would refuse for every subscription (and
// different processes would each hold a key of their own). An unreadable
// or malformed file always refuses to start.
func openVAPID(ctx context.Context, db *store.DB, cfg *config.Config) (*webpush.VAPID, error) {
	dir := AuditDir(cfg)
	exist, err := db.Reader().HasPushSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	key, err := webpush.LoadKey(dir, !exist)
	if errors.Is(err, webpush.ErrNoKey) {
		return nil, fmt.Errorf("%w: the authenticator's push subscriptions were made under the key kept in %s (VARCO_AUDIT_DIR); restore it from the backup", err, dir)
	}
	if err != nil {
		return nil, err
	}
	subject := cfg.VAPIDSubject
	if subject == "" {
		subject = config.DefaultVAPIDSubject(cfg.BaseURL, cfg.MailFrom)
	}
	if subject == "" {
		subject = "mailto:varco@localhost.localdomain"
	}
	return &webpush.VAPID{Key: key, Subject: subject}, nil
}
