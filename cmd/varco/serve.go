package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v3"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
)

func (e *env) serveCommand() *ucli.Command {
	c := e.leaf("serve", "serve the web UI, the JSON API and the workers", nil, e.serve)
	c.Description = "Each flag can be given by its VARCO_* variable instead; a flag wins over its variable."
	return c
}

// setGC lets the heap grow to three times what is live before a
// collection (GOGC=200) unless GOGC was set by hand. It was set when every
// password hash allocated 19 MiB and a collection ran every two or three
// sign-ins. Hashes now run in memory kept per hashing slot, so that reason
// is gone; measured again after that change, sign-ins were 2-5 % faster at
// 200 than at 100 (close to the noise) and a flood of 500 sign-ins peaked
// at 183 MiB instead of 135 (bound 400), so it stays (docs/performance.md).
func setGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

func (e *env) serve(ctx context.Context, cmd *ucli.Command) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	out := e.stderr
	if f, ok := out.(*os.File); ok {
		lw := newLineWriter(f)
		defer lw.Close() // after everything else that logs has stopped
		out = lw
	}
	log := newLogger(out, cfg.LogLevel)
	setGC()
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Dev {
		if err := seedDemo(ctx, a, e); err != nil {
			return fmt.Errorf("dev mode: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	// Shutdown neither tracks a hijacked event stream nor ends a held one.
	srv.RegisterOnShutdown(a.CloseStreams)
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { a.Run(workCtx); close(done) }()

	log.Info("varco serving", "addr", ln.Addr().String(), "database", a.DB.Engine(), "dev", cfg.Dev,
		"test_clock", app.TestClockEnabled, "version", version)
	fmt.Fprintf(e.stdout, "varco listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopWork()
		<-done
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopWork()
	<-done
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// newLogger logs JSON lines to out. serve gives it a lineWriter on the
// process's stderr, tests their buffer.
func newLogger(out io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: l}))
}

// Demo data for `varco serve --dev`: fixed, well-known credentials for a
// local playground. Dev mode must never face the internet.
var demoUsers = []admin.NewUser{
	{Email: "support@demo.varco.test", Password: "Assistenza-Demo-2026", Role: varco.RoleSupport, Language: varco.LangIT, DisplayName: "Supporto Demo"},
	{Email: "admin@demo.varco.test", Password: "Gestione-Demo-2026", Role: varco.RoleOrgAdmin, Org: "demo", Language: varco.LangIT, DisplayName: "Anna Admin"},
	{Email: "mario.rossi@demo.varco.test", Password: "Mario-Demo-2026", Role: varco.RoleUser, Org: "demo", Language: varco.LangIT, DisplayName: "Mario Rossi"},
	{Email: "jane.doe@demo.varco.test", Password: "Jane-Demo-2026", Role: varco.RoleUser, Org: "demo", Language: varco.LangEN, DisplayName: "Jane Doe"},
}

// seedDemo creates the demo organization and users once, then prints how to
// sign in.
func seedDemo(ctx context.Context, a *app.App, e *env) error {
	if _, err := a.Admin.CreateOrg(ctx, admin.Operator(), "demo", varco.PlanPremium); err != nil && !varco.IsCode(err, varco.EConflict) {
		return err
	}
	fmt.Fprintln(e.stdout, "dev mode: demo accounts (the dev mailbox is at /dev/mailbox)")
	for _, u := range demoUsers {
		if _, err := a.Admin.CreateUser(ctx, admin.Operator(), u); err != nil && !varco.IsCode(err, varco.EConflict) {
			return fmt.Errorf("create %s: %w", u.Email, err)
		}
		fmt.Fprintf(e.stdout, "  %-10s %-30s password %s\n", u.Role, u.Email, u.Password)
	}
	return nil
}
