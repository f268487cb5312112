package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestLoginPlacesKeepTheLatestUse: touching a place again moves its last
// use forward, never back, and places come most recent first.
func TestLoginPlacesKeepTheLatestUse(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccount(t, db.Q, newOrg(t, db.Q, "acme"), "mario@example.it")
		milan := store.Place{Key: "geo:IT:45.5:9.2", Country: "IT", Lat: 45.46, Lon: 9.19, HasCoords: true, LastSeenAt: t0}
		paris := store.Place{Key: "geo:FR:48.9:2.3", Country: "FR", Lat: 48.86, Lon: 2.35, HasCoords: true, LastSeenAt: t0.Add(time.Hour)}
		for _, p := range []store.Place{milan, paris} {
			if err := db.TouchPlace(ctx, a.ID, p); err != nil {
				t.Fatal(err)
			}
		}
		milan.LastSeenAt = t0.Add(2 * time.Hour)
		if err := db.TouchPlace(ctx, a.ID, milan); err != nil {
			t.Fatal(err)
		}
		paris.LastSeenAt = t0 // older than stored: ignored
		if err := db.TouchPlace(ctx, a.ID, paris); err != nil {
			t.Fatal(err)
		}
		got, err := db.LoginPlaces(ctx, a.ID, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("places = %+v, %v", got, err)
		}
		if got[0].Key != milan.Key || !got[0].LastSeenAt.Equal(t0.Add(2*time.Hour)) || got[0].Lat != 45.46 || !got[0].HasCoords {
			t.Fatalf("first place = %+v", got[0])
		}
		if got[1].Key != paris.Key || !got[1].LastSeenAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("second place = %+v", got[1])
		}
	})
}

// TestStepUpCodesAndFlowsExpire: codes are counted by send time, voided
// together, and flows and codes past their retention are deleted.
func TestStepUpCodesAndFlowsExpire(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccount(t, db.Q, newOrg(t, db.Q, "acme"), "mario@example.it")
		f := &store.LoginFlow{FlowHash: []byte("h1"), AccountID: a.ID, State: "step_up_required", Methods: varco.Methods{varco.MethodEmailPIN, varco.MethodSMSOTP},
			Place: store.Place{Key: "net:203.0.113.0/24"}, IP: "203.0.113.9", CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
		if err := db.CreateLoginFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		back, err := db.LoginFlowByHash(ctx, []byte("h1"))
		if err != nil || back.ID != f.ID || back.Place.Key != f.Place.Key || back.Place.IP != "203.0.113.9" || !slices.Equal(back.Methods, f.Methods) {
			t.Fatalf("flow read back = %+v, %v", back, err)
		}
		for i := range 3 {
			c := &store.StepUpCode{AccountID: a.ID, FlowID: f.ID, Method: "sms_otp", CodeHash: []byte{byte(i)},
				CreatedAt: t0.Add(time.Duration(i) * time.Minute), ExpiresAt: t0.Add(time.Duration(i)*time.Minute + 10*time.Minute)}
			if err := db.InsertStepUpCode(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		n, first, last, err := db.CodesSentSince(ctx, a.ID, "sms_otp", t0.Add(time.Minute))
		if err != nil || n != 2 || !first.Equal(t0.Add(time.Minute)) || !last.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("CodesSentSince = %d %v %v %v", n, first, last, err)
		}
		codes, err := db.NewestStepUpCodes(ctx, a.ID, "sms_otp", 2)
		if err != nil || len(codes) != 2 || codes[0].CodeHash[0] != 2 || codes[1].CodeHash[0] != 1 {
			t.Fatalf("newest codes = %+v, %v", codes, err)
		}
		if err := db.VoidStepUpCodes(ctx, a.ID, t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		codes, _ = db.NewestStepUpCodes(ctx, a.ID, "sms_otp", 5)
		for _, c := range codes {
			if c.UsedAt.IsZero() {
				t.Fatalf("code %d not voided", c.ID)
			}
		}
		n64, err := db.DeleteExpiredLoginFlows(ctx, t0.Add(11*time.Minute+time.Second))
		if err != nil || n64 != 2 { // the first two codes; the flow lives until 15 min
			t.Fatalf("deleted %d, %v", n64, err)
		}
		n64, err = db.DeleteExpiredLoginFlows(ctx, t0.Add(time.Hour))
		if err != nil || n64 != 2 { // the last code and the flow
			t.Fatalf("deleted %d, %v", n64, err)
		}
		if _, err := db.LoginFlowByHash(ctx, []byte("h1")); varco.ErrorCode(err) != varco.ENotFound {
			t.Fatalf("deleted flow: %v", err)
		}
	})
}

// TestLockAndUnlockAccount: only an active account locks, only a locked
// one unlocks, and unlocking resets every counter.
func TestLockAndUnlockAccount(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccount(t, db.Q, newOrg(t, db.Q, "acme"), "mario@example.it")
		err := db.InTx(ctx, func(q *store.Q) error {
			c, err := q.LockStepUpCounters(ctx, a.ID)
			if err != nil {
				return err
			}
			c.PINConsecutive, c.PINTotal, c.OTPTotal, c.PINLastFailedAt = 5, 7, 3, t0
			return q.SaveStepUpCounters(ctx, a.ID, c)
		})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := db.UnlockAccount(ctx, a.ID); ok || err != nil {
			t.Fatalf("unlock of an active account = %v, %v", ok, err)
		}
		if ok, err := db.LockAccount(ctx, a.ID, "pin_consecutive"); !ok || err != nil {
			t.Fatalf("lock = %v, %v", ok, err)
		}
		if ok, err := db.LockAccount(ctx, a.ID, "pin_total"); ok || err != nil {
			t.Fatalf("second lock = %v, %v", ok, err)
		}
		c, err := db.StepUpCountersOf(ctx, a.ID)
		if err != nil || c.LockedReason != "pin_consecutive" || c.PINTotal != 7 || !c.PINLastFailedAt.Equal(t0) {
			t.Fatalf("counters = %+v, %v", c, err)
		}
		if ok, err := db.UnlockAccount(ctx, a.ID); !ok || err != nil {
			t.Fatalf("unlock = %v, %v", ok, err)
		}
		c, _ = db.StepUpCountersOf(ctx, a.ID)
		if c != (varco.StepUpCounters{}) {
			t.Fatalf("counters after unlock = %+v", c)
		}
		if got, _ := db.AccountByID(ctx, a.ID); got.Status != varco.StatusActive {
			t.Fatalf("status %s", got.Status)
		}
	})
}
