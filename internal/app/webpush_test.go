package app_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/pushsink"
	"varco.dev/varco/internal/webpush"
)

// TestVAPIDKeyStaysWithItsSubscriptions: the VAPID key is generated at the
// first start beside the audit keys and kept; once a device subscribed, a
// start without it (or with a file that is not a key) is refused instead
// of making a key the push services would refuse.
func TestVAPIDKeyStaysWithItsSubscriptions(t *testing.T) {
	cfg := fixture.Config(t, "sqlite")
	a, err := app.New(t.Context(), cfg, app.Options{HashParams: &fixture.Hash})
	if err != nil {
		t.Fatal(err)
	}
	key := a.VAPID.PublicKey()
	if got, err := a.Auth.PushKey(); err != nil || got != key || a.VAPID.Subject != "mailto:varco@provider.test" {
		t.Fatalf("push key %q %v, VAPID %s subject %q", got, err, key, a.VAPID.Subject)
	}
	fixture.New(t, a.Admin, a.DB).Mario("basic", admin.NewUser{Password: fixture.Password})
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	enrolled, err := a.Auth.EnrollAuthenticator(t.Context(), "mario@acme.test", fixture.Password, pub, "", varco.Meta{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Auth.SubscribePush(t.Context(), enrolled.Token, pushsink.Start(t).Subscribe(t)); err != nil {
		t.Fatal(err)
	}
	a.Close()

	again, err := app.New(t.Context(), cfg, app.Options{HashParams: &fixture.Hash})
	if err != nil || again.VAPID.PublicKey() != key {
		t.Fatalf("restart: %v", err)
	}
	again.Close()

	path := filepath.Join(cfg.AuditDir, webpush.KeyFile)
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := app.New(t.Context(), cfg, app.Options{}); err == nil || !strings.Contains(err.Error(), webpush.KeyFile) {
		t.Fatalf("start with a bad key file: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := app.New(t.Context(), cfg, app.Options{}); err == nil || !strings.Contains(err.Error(), "VAPID key is missing") {
		t.Fatalf("start without the key while subscriptions exist: %v", err)
	}
}

// TestWebPushWithoutMailSenders: with no SMTP server nor SMS gateway the
// worker still delivers Web Push, and leaves the e-mails waiting
// untouched for a sender.
func TestWebPushWithoutMailSenders(t *testing.T) {
	cfg := fixture.Config(t, "sqlite")
	a := fixture.Start(t, cfg, fixture.Options{})
	fixture.New(t, a.Admin, a.DB).Mario("basic", admin.NewUser{Password: fixture.Password})
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	meta := varco.Meta{IP: "192.0.2.1", Application: "webmail"}
	enrolled, err := a.Auth.EnrollAuthenticator(t.Context(), "mario@acme.test", fixture.Password, pub, "", meta)
	if err != nil {
		t.Fatal(err)
	}
	sink := pushsink.Start(t)
	if err := a.Auth.SubscribePush(t.Context(), enrolled.Token, sink.Subscribe(t)); err != nil {
		t.Fatal(err)
	}
	if res, err := a.Auth.Login(t.Context(), "mario@acme.test", fixture.Password, meta); err != nil || res.State != varco.StatePushRequired {
		t.Fatalf("login: %+v %v", res, err)
	}
	if sent, _, err := a.Worker.DrainOnce(t.Context()); err != nil || sent != 1 {
		t.Fatalf("drain: %d sent, %v", sent, err)
	}
	sink.Wait(t, 1, 10*time.Second)
	mails, err := a.DB.Reader().ListOutbox(t.Context(), "pending", 0, 10)
	if err != nil || len(mails) == 0 {
		t.Fatalf("pending e-mails: %+v %v", mails, err)
	}
	for _, m := range mails {
		if m.Channel != "email" || m.Attempts != 0 {
			t.Errorf("pending %+v: want an e-mail never tried", m)
		}
	}
}
