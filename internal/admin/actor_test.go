package admin_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/testenv"
)

// newApp starts varco on the database at url with organization "acme".
func newApp(t *testing.T, url string) (*app.App, *varco.Org) {
	t.Helper()
	ctx := context.Background()
	cfg := &config.Config{AuditDir: t.TempDir(), DatabaseURL: url, Listen: "127.0.0.1:0", BaseURL: "http://varco.test", LogLevel: "info"}
	a, err := app.New(ctx, cfg, app.Options{HashParams: &password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	o, err := a.Admin.CreateOrg(ctx, admin.Operator(), "acme", varco.PlanPro)
	if err != nil {
		t.Fatal(err)
	}
	return a, o
}

// TestNobodyIsRefusedEverything calls every method of the admin service
// that takes an Actor with the zero Actor (and with an AccountActor of no
// account), the other arguments aimed at a real organization and account,
// and expects EForbidden from each: an actor left unset fails closed.
func TestNobodyIsRefusedEverything(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			a, o := newApp(t, testenv.DatabaseURL(t, engine))
			u, err := a.Admin.CreateUser(ctx, admin.Operator(), admin.NewUser{Email: "mario@acme.test", Password: "Rossi-Verde-2026", Org: "acme"})
			if err != nil {
				t.Fatal(err)
			}
			// Arguments by type: ids of the real account (or organization for
			// methods about organizations), valid-looking input otherwise.
			args := map[reflect.Type]reflect.Value{
				reflect.TypeFor[context.Context](): reflect.ValueOf(ctx),
				reflect.TypeFor[string]():          reflect.ValueOf("mario@acme.test"),
				reflect.TypeFor[admin.NewUser]():   reflect.ValueOf(admin.NewUser{Email: "evil@acme.test", Password: "Evil-Person-2026", Org: "acme", Role: varco.RoleSupport}),
				reflect.TypeFor[varco.Policy]():    reflect.ValueOf(varco.Policy{MaxAgeDays: 90, WarningDays: []int{7}, InactivityDays: 30, SuspensionGraceDays: 7, HistoryDepth: 5}),
			}
			svc := reflect.ValueOf(a.Admin)
			actorType := reflect.TypeFor[admin.Actor]()
			checked := 0
			for i := 0; i < svc.NumMethod(); i++ {
				m := svc.Type().Method(i)
				mt := svc.Method(i).Type()
				takesActor := false
				for j := 0; j < mt.NumIn(); j++ {
					takesActor = takesActor || mt.In(j) == actorType
				}
				if !takesActor {
					continue
				}
				for _, nobody := range []admin.Actor{{}, admin.AccountActor(nil)} {
					in := make([]reflect.Value, mt.NumIn())
					for j := range in {
						pt := mt.In(j)
						switch v, ok := args[pt]; {
						case pt == actorType:
							in[j] = reflect.ValueOf(nobody)
						case ok:
							in[j] = v
						case pt.Kind() == reflect.Int64:
							id := u.ID
							if strings.Contains(m.Name, "Org") {
								id = o.ID
							}
							in[j] = reflect.ValueOf(id)
						default:
							in[j] = reflect.Zero(pt)
						}
					}
					out := svc.Method(i).Call(in)
					err, _ := out[len(out)-1].Interface().(error)
					if !varco.IsCode(err, varco.EForbidden) {
						t.Errorf("%s by nobody: %v, want forbidden", m.Name, err)
					}
				}
				checked++
			}
			if checked < 15 {
				t.Fatalf("only %d methods take an Actor", checked)
			}
			if _, err := a.DB.AccountByEmail(ctx, "evil@acme.test"); !varco.IsCode(err, varco.ENotFound) {
				t.Errorf("nobody created an account: %v", err)
			}
			if got, err := a.DB.AccountByID(ctx, u.ID); err != nil || got.Status != varco.StatusActive {
				t.Errorf("account after refused actions: %+v %v", got, err)
			}
		})
	}
}

// TestOnlySupportChangesSupport: an org admin is refused with forbidden
// when it disables, re-enables, sends a reset link to or requires a new
// password of a support account, even one (by a fault in the data) in its
// own organization.
func TestOnlySupportChangesSupport(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			url := testenv.DatabaseURL(t, engine)
			a, o := newApp(t, url)
			anna, err := a.Admin.CreateUser(ctx, admin.Operator(), admin.NewUser{Email: "anna@acme.test", Password: "Bianchi-Admin-2026", Org: "acme", Role: varco.RoleOrgAdmin})
			if err != nil {
				t.Fatal(err)
			}
			help, err := a.Admin.CreateUser(ctx, admin.Operator(), admin.NewUser{Email: "help@provider.test", Password: "Service-Desk-2026", Role: varco.RoleSupport})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := testenv.RawDB(t, url).Exec(`UPDATE accounts SET org_id = $1 WHERE id = $2`, o.ID, help.ID); err != nil {
				t.Fatal(err)
			}
			byAnna := admin.AccountActor(anna)
			for name, call := range map[string]func() error{
				"DisableUser":           func() error { return a.Admin.DisableUser(ctx, byAnna, help.ID) },
				"EnableUser":            func() error { _, err := a.Admin.EnableUser(ctx, byAnna, help.ID); return err },
				"SendResetLink":         func() error { return a.Admin.SendResetLink(ctx, byAnna, help.ID) },
				"RequirePasswordChange": func() error { return a.Admin.RequirePasswordChange(ctx, byAnna, help.ID) },
			} {
				if err := call(); !varco.IsCode(err, varco.EForbidden) {
					t.Errorf("%s of support by an org admin: %v, want forbidden", name, err)
				}
			}
			if got, err := a.DB.AccountByID(ctx, help.ID); err != nil || got.Status != varco.StatusActive || got.MustChangePassword {
				t.Errorf("support after refused actions: %+v %v", got, err)
			}
		})
	}
}
