package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/store"
)

// open loads the configuration from flags already parsed and builds the app
// (which migrates the database: every command does when it needs to).
func (e *env) open(ctx context.Context, finish func() (*config.Config, error)) (*app.App, error) {
	cfg, err := finish()
	if err != nil {
		return nil, err
	}
	return app.New(ctx, cfg, app.Options{Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
}

// migrated parses a command's flags, opens the database and migrates it;
// for commands that need the store but none of the services.
func (e *env) migrated(ctx context.Context, name string) (*store.DB, []int, error) {
	fs := e.flags(name)
	finish := config.Flags(fs, e.getenv)
	if err := e.parse(fs); err != nil {
		return nil, nil, err
	}
	cfg, err := finish()
	if err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, applied, nil
}

func cmdMigrate(ctx context.Context, e *env) error {
	db, applied, err := e.migrated(ctx, "varco migrate")
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "%s: %d migrations applied\n", db.Engine(), len(applied))
	return nil
}

func cmdOrg(ctx context.Context, e *env) error {
	verb, e, err := e.sub("org")
	if err != nil {
		return err
	}
	fs := e.flags("varco org " + verb)
	finish := config.Flags(fs, e.getenv)
	switch verb {
	case "create":
		name := fs.String("name", "", "organization name")
		plan := fs.String("plan", varco.PlanBasic, "basic, pro or premium")
		if err := e.parse(fs); err != nil {
			return err
		}
		a, err := e.open(ctx, finish)
		if err != nil {
			return err
		}
		defer a.Close()
		o, err := a.Admin.CreateOrg(ctx, admin.Operator(), *name, *plan)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(e.stdout, "organization %q created (id %d, plan %s)\n", o.Name, o.ID, o.Plan)
		return nil
	case "list":
		if err := e.parse(fs); err != nil {
			return err
		}
		a, err := e.open(ctx, finish)
		if err != nil {
			return err
		}
		defer a.Close()
		orgs, err := a.Admin.ListOrgs(ctx, admin.Operator())
		if err != nil {
			return cliError(err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPLAN")
		for _, o := range orgs {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", o.ID, o.Name, o.Plan)
		}
		return tw.Flush()
	}
	fmt.Fprintf(e.stderr, "varco org: unknown subcommand %q (create, list)\n", verb)
	return errUsage
}

// readPassword reads one line from r: the password, without its newline.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 8192)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

func cmdUser(ctx context.Context, e *env) error {
	verb, e, err := e.sub("user")
	if err != nil {
		return err
	}
	fs := e.flags("varco user " + verb)
	finish := config.Flags(fs, e.getenv)
	switch verb {
	case "create":
		var in admin.NewUser
		fs.StringVar(&in.Email, "email", "", "login e-mail address")
		stdinPw := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
		fs.StringVar(&in.Role, "role", varco.RoleUser, "user, org_admin or support")
		fs.StringVar(&in.Org, "org", "", "organization name (required except for support)")
		fs.StringVar(&in.Phone, "phone", "", "verified phone number, E.164 (+39…)")
		fs.StringVar(&in.ContactEmail, "contact-email", "", "verified contact e-mail for notifications")
		fs.StringVar(&in.Language, "lang", varco.LangIT, "it or en")
		fs.StringVar(&in.DisplayName, "name", "", "display name")
		if err := e.parse(fs); err != nil {
			return err
		}
		if !*stdinPw {
			fmt.Fprintln(e.stderr, "varco user create: --password-stdin is required (passwords never go on the command line)")
			return errUsage
		}
		pw, err := readPassword(e.stdin)
		if err != nil {
			return err
		}
		in.Password = pw
		a, err := e.open(ctx, finish)
		if err != nil {
			return err
		}
		defer a.Close()
		u, err := a.Admin.CreateUser(ctx, admin.Operator(), in)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(e.stdout, "user %s created (id %d, role %s)\n", u.Email, u.ID, u.Role)
		return nil
	case "list":
		org := fs.String("org", "", "only this organization")
		q := fs.String("q", "", "only e-mails or names containing this")
		if err := e.parse(fs); err != nil {
			return err
		}
		a, err := e.open(ctx, finish)
		if err != nil {
			return err
		}
		defer a.Close()
		f := store.AccountFilter{Query: *q, Limit: 500}
		if *org != "" {
			o, err := a.DB.OrgByName(ctx, *org)
			if err != nil {
				return cliError(err)
			}
			f.OrgID = o.ID
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tORG\tROLE\tSTATUS")
		for {
			users, err := a.DB.SearchAccounts(ctx, f)
			if err != nil {
				return err
			}
			for _, u := range users {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.OrgName, u.Role, u.Status)
			}
			if len(users) < f.Limit {
				break
			}
			f.After = users[len(users)-1].ID
		}
		return tw.Flush()
	case "show", "disable", "reactivate", "unlock":
		email := fs.String("email", "", "login e-mail address")
		if err := e.parse(fs); err != nil {
			return err
		}
		a, err := e.open(ctx, finish)
		if err != nil {
			return err
		}
		defer a.Close()
		u, err := a.Admin.UserByEmail(ctx, admin.Operator(), *email)
		if err != nil {
			return cliError(err)
		}
		if verb == "reactivate" {
			if _, err := a.Admin.ReactivateUser(ctx, admin.Operator(), u.ID); err != nil {
				return cliError(err)
			}
			fmt.Fprintf(e.stdout, "user %s reactivated; a password change is required at the next sign-in\n", u.Email)
			return nil
		}
		if verb == "unlock" {
			reason, err := a.Admin.LockReason(ctx, admin.Operator(), u.ID)
			if err != nil {
				return cliError(err)
			}
			if _, err := a.Admin.UnlockUser(ctx, admin.Operator(), u.ID); err != nil {
				return cliError(err)
			}
			if reason != "" {
				reason = " (it was locked by " + reason + ")"
			}
			fmt.Fprintf(e.stdout, "user %s unlocked%s; every step-up counter is reset\n", u.Email, reason)
			return nil
		}
		if verb == "disable" {
			if err := a.Admin.DisableUser(ctx, admin.Operator(), u.ID); err != nil {
				return cliError(err)
			}
			fmt.Fprintf(e.stdout, "user %s disabled; its sessions are revoked\n", u.Email)
			return nil
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"id": u.ID, "email": u.Email, "org": u.OrgName, "role": u.Role,
			"status": u.Status, "language": u.Lang, "display_name": u.DisplayName,
			"password_changed_at": u.PasswordChangedAt, "last_login_at": u.LastLoginAt, "created_at": u.CreatedAt})
	}
	fmt.Fprintf(e.stderr, "varco user: unknown subcommand %q (create, list, show, disable, reactivate, unlock)\n", verb)
	return errUsage
}

func cmdAudit(ctx context.Context, e *env) error {
	verb, e, err := e.sub("audit")
	if err != nil {
		return err
	}
	if verb != "verify" {
		fmt.Fprintf(e.stderr, "varco audit: unknown subcommand %q (verify)\n", verb)
		return errUsage
	}
	db, _, err := e.migrated(ctx, "varco audit verify")
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.VerifyChain(ctx)
	if err != nil {
		return fmt.Errorf("activity history NOT intact after %d good entries: %w", n, err)
	}
	fmt.Fprintf(e.stdout, "activity history intact: %d entries verified\n", n)
	return nil
}

// cliError shows a domain error by its message and code.
func cliError(err error) error {
	var ve *varco.Error
	if errors.As(err, &ve) {
		return fmt.Errorf("%s (%s)", strings.TrimSuffix(ve.Message, "."), ve.Code)
	}
	return err
}
