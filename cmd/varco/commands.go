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

	ucli "github.com/urfave/cli/v3"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/store"
)

// open loads the configuration from cmd's flags and builds the app (which
// migrates the database: every command does when it needs to).
func (e *env) open(ctx context.Context, cmd *ucli.Command) (*app.App, error) {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	return app.New(ctx, cfg, app.Options{Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
}

// migrated opens the database of cmd's flags and migrates it; for commands
// that need the store but none of the services.
func migrated(ctx context.Context, cmd *ucli.Command) (*store.DB, []int, error) {
	cfg, err := loadConfig(cmd)
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

// leaf is a command that runs action after refusing positional arguments;
// it takes flags and the configuration flags.
func (e *env) leaf(name, usage string, flags []ucli.Flag, action ucli.ActionFunc) *ucli.Command {
	return &ucli.Command{Name: name, Usage: usage, Flags: append(flags, e.configFlags()...), OnUsageError: e.usageError,
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			if err := noArgs(cmd); err != nil {
				return err
			}
			return action(ctx, cmd)
		}}
}

// branch is a command made of subcommands.
func (e *env) branch(name, usage string, subs ...*ucli.Command) *ucli.Command {
	return &ucli.Command{Name: name, Usage: usage, Commands: subs, Action: e.group, OnUsageError: e.usageError}
}

func (e *env) migrateCommand() *ucli.Command {
	return e.leaf("migrate", "apply database migrations", nil, func(ctx context.Context, cmd *ucli.Command) error {
		db, applied, err := migrated(ctx, cmd)
		if err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintf(e.stdout, "%s: %d migrations applied\n", db.Engine(), len(applied))
		return nil
	})
}

func (e *env) orgCommand() *ucli.Command {
	create := e.leaf("create", "create an organization", []ucli.Flag{
		&ucli.StringFlag{Name: "name", Usage: "organization name"},
		&ucli.StringFlag{Name: "plan", Value: varco.PlanBasic, Usage: "basic, pro or premium"},
		&ucli.StringFlag{Name: "country", Value: varco.DefaultCountry, Usage: "ISO 3166 code where its phone numbers without a country code are dialled"},
	}, func(ctx context.Context, cmd *ucli.Command) error {
		a, err := e.open(ctx, cmd)
		if err != nil {
			return err
		}
		defer a.Close()
		o, err := a.Admin.CreateOrgWith(ctx, admin.Operator(), admin.NewOrg{Name: cmd.String("name"), Plan: cmd.String("plan"),
			Country: cmd.String("country")})
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(e.stdout, "organization %q created (id %d, plan %s)\n", o.Name, o.ID, o.Plan)
		return nil
	})
	list := e.leaf("list", "list the organizations", nil, func(ctx context.Context, cmd *ucli.Command) error {
		a, err := e.open(ctx, cmd)
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
	})
	return e.branch("org", "manage organizations", create, list)
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

func (e *env) userCommand() *ucli.Command {
	create := e.leaf("create", "create an account; the password is read from standard input", []ucli.Flag{
		&ucli.StringFlag{Name: "email", Usage: "login e-mail address"},
		&ucli.BoolFlag{Name: "password-stdin", Usage: "read the password from the first line of standard input (required)"},
		&ucli.StringFlag{Name: "role", Value: varco.RoleUser, Usage: "user, org_admin or support"},
		&ucli.StringFlag{Name: "org", Usage: "organization name (required except for support)"},
		&ucli.StringFlag{Name: "phone", Usage: "verified phone number, E.164 (+39…)"},
		&ucli.StringFlag{Name: "contact-email", Usage: "verified contact e-mail for notifications"},
		&ucli.StringFlag{Name: "lang", Value: varco.LangIT, Usage: "it or en"},
		&ucli.StringFlag{Name: "name", Usage: "display name"},
	}, func(ctx context.Context, cmd *ucli.Command) error {
		if !cmd.Bool("password-stdin") {
			return usagef(cmd, "--password-stdin is required (passwords never go on the command line)")
		}
		in := admin.NewUser{Email: cmd.String("email"), Role: cmd.String("role"), Org: cmd.String("org"),
			Phone: cmd.String("phone"), ContactEmail: cmd.String("contact-email"), Language: cmd.String("lang"),
			DisplayName: cmd.String("name")}
		pw, err := readPassword(e.stdin)
		if err != nil {
			return err
		}
		in.Password = pw
		a, err := e.open(ctx, cmd)
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
	})
	list := e.leaf("list", "list accounts", []ucli.Flag{
		&ucli.StringFlag{Name: "org", Usage: "only this organization"},
		&ucli.StringFlag{Name: "q", Usage: "only e-mails or names containing this"},
	}, func(ctx context.Context, cmd *ucli.Command) error {
		a, err := e.open(ctx, cmd)
		if err != nil {
			return err
		}
		defer a.Close()
		f := store.AccountFilter{Query: cmd.String("q"), Limit: 500}
		if org := cmd.String("org"); org != "" {
			o, err := a.DB.OrgByName(ctx, org)
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
	})
	return e.branch("user", "manage accounts", create, list,
		e.userAction("show", "show an account as JSON", e.userShow),
		e.userAction("disable", "disable an account and revoke its sessions", e.userDisable),
		e.userAction("reactivate", "reactivate a suspended account; a password change is required next", e.userReactivate),
		e.userAction("unlock", "unlock a locked account; every step-up counter is reset", e.userUnlock))
}

// userAction is a user subcommand that acts on the account named by --email.
func (e *env) userAction(name, usage string, act func(context.Context, *app.App, *varco.Account) error) *ucli.Command {
	return e.leaf(name, usage, []ucli.Flag{&ucli.StringFlag{Name: "email", Usage: "login e-mail address"}},
		func(ctx context.Context, cmd *ucli.Command) error {
			a, err := e.open(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.Admin.UserByEmail(ctx, admin.Operator(), cmd.String("email"))
			if err != nil {
				return cliError(err)
			}
			return act(ctx, a, u)
		})
}

func (e *env) userShow(ctx context.Context, a *app.App, u *varco.Account) error {
	reason, err := a.Admin.LockReason(ctx, admin.Operator(), u.ID)
	if err != nil {
		return cliError(err)
	}
	var lastLogin any = "never"
	if !u.LastLoginAt.IsZero() {
		lastLogin = u.LastLoginAt
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"id": u.ID, "email": u.Email, "org": u.OrgName, "role": u.Role,
		"status": u.Status, "lock_reason": reason, "language": u.Lang, "display_name": u.DisplayName,
		"phone": u.Phone, "phone_verified": u.PhoneVerified, "contact_email": u.ContactEmail,
		"contact_email_verified": u.ContactEmailVerified, "must_change_password": u.MustChangePassword,
		"password_changed_at": u.PasswordChangedAt, "last_login_at": lastLogin, "created_at": u.CreatedAt})
}

func (e *env) userDisable(ctx context.Context, a *app.App, u *varco.Account) error {
	if err := a.Admin.DisableUser(ctx, admin.Operator(), u.ID); err != nil {
		return cliError(err)
	}
	fmt.Fprintf(e.stdout, "user %s disabled; its sessions are revoked\n", u.Email)
	return nil
}

func (e *env) userReactivate(ctx context.Context, a *app.App, u *varco.Account) error {
	if _, err := a.Admin.ReactivateUser(ctx, admin.Operator(), u.ID); err != nil {
		return cliError(err)
	}
	fmt.Fprintf(e.stdout, "user %s reactivated; a password change is required at the next sign-in\n", u.Email)
	return nil
}

func (e *env) userUnlock(ctx context.Context, a *app.App, u *varco.Account) error {
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

// auditCommand groups the activity history's commands; each subcommand has
// its own flags.
func (e *env) auditCommand() *ucli.Command {
	return e.branch("audit", "check and anchor the activity history",
		e.leaf("verify", "check every chain of the activity history against the newest signed checkpoint", []ucli.Flag{
			&ucli.StringFlag{Name: "account", Usage: "check only this account's history (its e-mail)"},
			&ucli.StringFlag{Name: "checkpoint", Usage: "check against this checkpoint file (one shipped back from elsewhere) instead of the newest in the audit directory"},
		}, e.auditVerify),
		e.leaf("checkpoint", "write a signed checkpoint of the activity history now", nil, e.auditCheckpoint),
		e.leaf("rotate-key", "seal new entries with a new key; the old ones still verify", nil, e.auditRotateKey))
}

func (e *env) auditVerify(ctx context.Context, cmd *ucli.Command) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	db, _, err := migrated(ctx, cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	return auditVerify(ctx, cfg, db, auditVerifyOptions{Account: cmd.String("account"), Checkpoint: cmd.String("checkpoint")}, e.stdout)
}

func (e *env) auditCheckpoint(ctx context.Context, cmd *ucli.Command) error {
	a, err := e.open(ctx, cmd)
	if err != nil {
		return err
	}
	defer a.Close()
	return auditCheckpoint(ctx, a, e.stdout)
}

func (e *env) auditRotateKey(ctx context.Context, cmd *ucli.Command) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	return auditRotateKey(cfg, e.stdout)
}

// cliError shows a domain error by its message and code.
func cliError(err error) error {
	var ve *varco.Error
	if errors.As(err, &ve) {
		return fmt.Errorf("%s (%s)", strings.TrimSuffix(ve.Message, "."), ve.Code)
	}
	return err
}
