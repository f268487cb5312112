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

// TestNobodyIsRefusedEverything calls every method of the admin service
// that takes an Actor with the zero Actor (and with an AccountActor of no
// account), the other arguments aimed at a real organization and account,
// and expects EForbidden from each: an actor left unset fails closed.
func TestNobodyIsRefusedEverything(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			cfg := &config.Config{AuditDir: t.TempDir(), DatabaseURL: testenv.DatabaseURL(t, engine), Listen: "127.0.0.1:0", BaseURL: "http://varco.test", LogLevel: "info"}
			a, err := app.New(ctx, cfg, app.Options{HashParams: &password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			o, err := a.Admin.CreateOrg(ctx, admin.Operator(), "acme", varco.PlanPro)
			if err != nil {
				t.Fatal(err)
			}
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
