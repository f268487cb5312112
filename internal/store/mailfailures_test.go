package store_test

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestMailLoginView: the one query of a mail login reads the throttling
// state, the account with its organization's setting and plan, its
// protocols (all three when never set), whether 2-step verification is on
// and every app password, on both engines; an account of no organization
// gets the defaults; an unknown login is ENotFound.
func TestMailLoginView(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Reader()
		org := newOrg(t, db.Q, "acme")
		a := newAccount(t, db.Q, org, "mario@acme.test")
		v, err := q.MailLogin(ctx, a.Email, "mail:acct:"+a.Email, "mail:ip:192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if v.Account.ID != a.ID || v.Account.OrgName != "acme" || !v.AccountPassword || v.Plan != varco.PlanPro || v.TwoFactor ||
			v.Access != (store.MailAccess{IMAP: true, POP3: true, SMTP: true}) || len(v.AppPasswords) != 0 || len(v.Throttles) != 0 {
			t.Fatalf("fresh account: %+v", v)
		}

		for _, label := range []string{"one", "two"} {
			p := &store.AppPassword{AccountID: a.ID, Label: label, KeyID: "k1", Hash: []byte("h-" + label), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			if err := db.InsertAppPassword(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetMailAccess(ctx, a.ID, store.MailAccess{POP3: true}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetOrgMailAccountPassword(ctx, org.ID, false); err != nil {
			t.Fatal(err)
		}
		d := &store.PushDevice{AccountID: a.ID, PublicID: "dev", Kind: "cli", PublicKey: make([]byte, 32), TokenHash: []byte("t"), CreatedAt: t0}
		if err := db.InTx(ctx, func(q *store.Q) error { return q.ReplacePushDevice(ctx, d) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ThrottleFailures(ctx, "mail:acct:"+a.Email, 3, t0, t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.ThrottleBlock(ctx, "mail:acct:"+a.Email, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		v, err = q.MailLogin(ctx, a.Email, "mail:acct:"+a.Email, "mail:ip:192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		th, ok := v.Throttles["mail:acct:"+a.Email]
		if !v.TwoFactor || v.AccountPassword || v.Access != (store.MailAccess{POP3: true}) || len(v.AppPasswords) != 2 ||
			string(v.AppPasswords[1].Hash) != "h-two" || !v.AppPasswords[0].ExpiresAt.Equal(t0.Add(time.Hour)) ||
			!ok || th.Failures != 3 || !th.BlockedUntil.Equal(t0.Add(time.Minute)) || len(v.Throttles) != 1 {
			t.Fatalf("set up account: %+v", v)
		}

		support := &varco.Account{Email: "help@provider.test", Lang: "en", Role: varco.RoleSupport, Status: varco.StatusActive,
			PasswordHash: "x", PasswordChangedAt: t0, CreatedAt: t0}
		if err := db.CreateAccount(ctx, support); err != nil {
			t.Fatal(err)
		}
		v, err = q.MailLogin(ctx, support.Email, "a", "b")
		if err != nil || v.Account.OrgID != 0 || !v.AccountPassword || v.Plan != "" {
			t.Fatalf("account of no organization: %+v %v", v, err)
		}
		if _, err := q.MailLogin(ctx, "nobody@acme.test", "a", "b"); !varco.IsCode(err, varco.ENotFound) {
			t.Fatalf("unknown login: %v", err)
		}
	})
}

// TestMailFailureWindows: a window opens once (its opener learns it),
// counts repeats while open, stands in the way once expired, and closes
// once, returned to whoever closes it.
func TestMailFailureWindows(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &store.MailFailureWindow{Key: "a:1|192.0.2.1|imap|wrong password", AccountID: 1, IP: "192.0.2.1", Protocol: "imap",
			Detail: "wrong password", OpenedAt: t0, OpenedBy: 7}
		if by, ok, err := db.CountMailFailures(ctx, w, 3, t0.Add(-time.Minute)); err != nil || !ok || by != 7 {
			t.Fatalf("open: %d %v %v", by, ok, err)
		}
		w2 := *w
		w2.OpenedBy, w2.OpenedAt = 8, t0.Add(30*time.Second)
		if by, ok, err := db.CountMailFailures(ctx, &w2, 2, t0.Add(30*time.Second-time.Minute)); err != nil || !ok || by != 7 {
			t.Fatalf("repeat: %d %v %v", by, ok, err)
		}
		w2.OpenedAt = t0.Add(90 * time.Second)
		if _, ok, err := db.CountMailFailures(ctx, &w2, 1, t0.Add(30*time.Second)); err != nil || ok {
			t.Fatalf("expired window not in the way: %v %v", ok, err)
		}
		if oldest, any, err := db.OldestMailFailureWindow(ctx); err != nil || !any || !oldest.Equal(t0) {
			t.Fatalf("oldest: %v %v %v", oldest, any, err)
		}
		closed, err := db.CloseMailFailureWindows(ctx, "", t0.Add(30*time.Second))
		if err != nil || len(closed) != 1 || closed[0].Repeats != 2 || !closed[0].LastAt.Equal(t0.Add(30*time.Second)) {
			t.Fatalf("close: %+v %v", closed, err)
		}
		if closed, err := db.CloseMailFailureWindows(ctx, "", t0.Add(time.Hour)); err != nil || len(closed) != 0 {
			t.Fatalf("closed twice: %+v %v", closed, err)
		}
		if _, any, err := db.OldestMailFailureWindow(ctx); err != nil || any {
			t.Fatalf("a window left: %v %v", any, err)
		}
	})
}
