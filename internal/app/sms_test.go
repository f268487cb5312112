package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/smssink"
)

// smsApp starts varco on engine with cfg's SMS settings and one account
// with a verified phone.
func smsApp(t *testing.T, engine string, edit func(*config.Config)) (*app.App, *varco.Account) {
	a, acc, _ := smsAppClock(t, engine, edit)
	return a, acc
}

func smsAppClock(t *testing.T, engine string, edit func(*config.Config)) (*app.App, *varco.Account, *clock.Manual) {
	t.Helper()
	cfg := fixture.Config(t, engine)
	edit(cfg)
	clk := clock.NewManual(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	a := fixture.Start(t, cfg, fixture.Options{Clock: clk})
	acc := fixture.New(t, a.Admin, a.DB).Mario("pro", admin.NewUser{Phone: "+393471234567", Language: "en"})
	return a, acc, clk
}

func enqueueOTP(t *testing.T, a *app.App, acc *varco.Account, code string) {
	t.Helper()
	err := a.DB.InTx(context.Background(), func(q *store.Q) error {
		return a.Mailer.EnqueueSMS(context.Background(), q, acc, acc.Phone, notify.EventOTPSent,
			notify.Data{Code: code, ValidFor: 10 * time.Minute})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOutboxDeliversSMS: an SMS queued in a transaction reaches the
// gateway, webhook or Twilio, through the outbox worker.
func TestOutboxDeliversSMS(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			for _, shape := range []string{smssink.ShapeWebhook, smssink.ShapeTwilio} {
				t.Run(shape, func(t *testing.T) {
					sink := smssink.Start(t, smssink.WithToken("hook-secret"))
					a, acc := smsApp(t, engine, func(c *config.Config) {
						if shape == smssink.ShapeTwilio {
							c.SMSURL = sink.TwilioURL("Varco")
						} else {
							c.SMSURL, c.SMSToken = sink.URL(), "hook-secret"
						}
					})
					enqueueOTP(t, a, acc, "604217")
					if err := a.RunDue(context.Background()); err != nil {
						t.Fatal(err)
					}
					m := sink.Wait(t, 1, 10*time.Second)[0]
					if m.Shape != shape || m.To != "+393471234567" || smssink.Code(t, m.Text) != "604217" ||
						!strings.Contains(m.Text, "10 minutes") {
						t.Fatalf("sink got %+v", m)
					}
					if shape == smssink.ShapeWebhook && m.Event != "otp_sent" {
						t.Errorf("event %q", m.Event)
					}
					if n, _ := a.DB.Reader().OutboxBacklog(context.Background()); n != 0 {
						t.Errorf("backlog %d", n)
					}
				})
			}
		})
	}
}

// TestOutboxRetriesSMSGatewayFailure: a 503 is retried after the backoff,
// a 400 dead-letters the message.
func TestOutboxRetriesSMSGatewayFailure(t *testing.T) {
	sink := smssink.Start(t)
	a, acc, clk := smsAppClock(t, "sqlite", func(c *config.Config) { c.SMSURL = sink.URL() })
	ctx := context.Background()
	sink.FailNext(1, 503)
	enqueueOTP(t, a, acc, "111111")
	if sent, failed, err := a.Worker.DrainOnce(ctx); err != nil || sent != 0 || failed != 1 {
		t.Fatalf("first drain: %d sent, %d failed, %v", sent, failed, err)
	}
	if n, _ := a.DB.Reader().OutboxBacklog(ctx); n != 1 {
		t.Fatalf("backlog %d, want the message waiting for its retry", n)
	}
	clk.Advance(time.Hour) // past the backoff
	if sent, _, err := a.Worker.DrainOnce(ctx); err != nil || sent != 1 {
		t.Fatalf("retry: %d sent, %v", sent, err)
	}
	if m := sink.Wait(t, 1, 10*time.Second)[0]; smssink.Code(t, m.Text) != "111111" {
		t.Fatalf("sink got %+v", m)
	}

	sink.FailNext(1, 400)
	enqueueOTP(t, a, acc, "222222")
	if _, failed, err := a.Worker.DrainOnce(ctx); err != nil || failed != 1 {
		t.Fatalf("drain: %d failed, %v", failed, err)
	}
	dead, err := a.DB.Reader().ListOutbox(ctx, store.OutboxDead, 0, 10)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "400") {
		t.Fatalf("dead = %+v, %v", dead, err)
	}
	if strings.Contains(dead[0].LastError, "3471234567") || strings.Contains(dead[0].LastError, "222222") {
		t.Errorf("last error shows the number or the text: %q", dead[0].LastError)
	}
}

// TestSMSWithoutGatewayIsDeadLettered: with SMTP but no SMS gateway, an SMS
// is dead-lettered with a clear last error.
func TestSMSWithoutGatewayIsDeadLettered(t *testing.T) {
	a, acc := smsApp(t, "sqlite", func(c *config.Config) { c.SMTPURL = "smtp://127.0.0.1:1" })
	enqueueOTP(t, a, acc, "333333")
	if err := a.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	dead, err := a.DB.Reader().ListOutbox(context.Background(), store.OutboxDead, 0, 10)
	if err != nil || len(dead) != 1 || dead[0].Channel != notify.ChannelSMS ||
		!strings.Contains(dead[0].LastError, "no SMS gateway configured") {
		t.Fatalf("dead = %+v, %v", dead, err)
	}
	list, err := a.Admin.Outbox(context.Background(), admin.AccountActor(&varco.Account{ID: 999, Role: varco.RoleSupport}), store.OutboxDead, 0, 10)
	if err != nil || len(list) != 1 || list[0].To != "+39********67" {
		t.Fatalf("support's outbox = %+v, %v", list, err)
	}
}

// TestDevModeKeepsSMS: in dev mode with no gateway, SMS go to the dev
// mailbox, marked as SMS.
func TestDevModeKeepsSMS(t *testing.T) {
	a, acc := smsApp(t, "sqlite", func(c *config.Config) { c.Dev = true })
	enqueueOTP(t, a, acc, "444444")
	if err := a.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs, err := a.DB.Reader().ListDevMessages(context.Background(), 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("dev messages %+v, %v", msgs, err)
	}
	if m := msgs[0]; m.Channel != notify.ChannelSMS || m.To != "+393471234567" || !strings.Contains(m.Text, "444444") {
		t.Fatalf("dev message %+v", m)
	}
}
