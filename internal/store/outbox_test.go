package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

func TestOutboxKeepsChannel(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := []store.Message{
			{Event: "password_changed", To: "a@example.it", Lang: "it", Subject: "s", Text: "t", HTML: "h",
				MessageID: "<1@varco>", CreatedAt: t0}, // no channel: e-mail
			{Channel: store.ChannelSMS, Event: "otp_sent", To: "+393471234567", Lang: "en",
				Text: "Varco: your sign-in code is 123456.", MessageID: "<2@varco>", CreatedAt: t0},
		}
		for i := range in {
			if err := db.EnqueueMessage(ctx, &in[i]); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.ClaimDue(ctx, t0, t0.Add(time.Minute), 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("ClaimDue = %v, %v", got, err)
		}
		if got[0].Channel != store.ChannelEmail || got[1].Channel != store.ChannelSMS ||
			got[1].To != "+393471234567" || got[1].Subject != "" || got[1].HTML != "" {
			t.Fatalf("claimed %+v", got)
		}
		if err := db.MarkFailed(ctx, got[1].ID, t0, "no SMS gateway", true); err != nil {
			t.Fatal(err)
		}
		dead, err := db.ListOutbox(ctx, store.OutboxDead, 0, 10)
		if err != nil || len(dead) != 1 || dead[0].Channel != store.ChannelSMS || dead[0].LastError != "no SMS gateway" {
			t.Fatalf("ListOutbox(dead) = %+v, %v", dead, err)
		}

		for _, m := range got {
			if err := db.SaveDevMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		dev, err := db.Reader().ListDevMessages(ctx, 10)
		if err != nil || len(dev) != 2 {
			t.Fatalf("ListDevMessages = %v, %v", dev, err)
		}
		if dev[0].Channel != store.ChannelSMS || dev[0].Text != got[1].Text || dev[1].Channel != store.ChannelEmail {
			t.Fatalf("dev messages %+v", dev)
		}
	})
}

// TestSentMessagesForgetTheirBodies: once delivered, a message keeps no
// body, so no PIN, OTP or reset link outlives its delivery in the database.
func TestSentMessagesForgetTheirBodies(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			url := testenv.DatabaseURL(t, engine)
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			m := &store.Message{Event: "pin_sent", To: "a@example.it", Lang: "it", Subject: "Codice",
				Text: "Il tuo codice: 042917", HTML: "<p>042917</p>", MessageID: "<1@varco>", CreatedAt: t0}
			if err := db.EnqueueMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			got, err := db.ClaimDue(ctx, t0, t0.Add(time.Minute), 1)
			if err != nil || len(got) != 1 || got[0].Text == "" {
				t.Fatalf("claim = %+v, %v", got, err)
			}
			if err := db.MarkSent(ctx, got[0].ID, t0); err != nil {
				t.Fatal(err)
			}
			driver := "sqlite"
			if engine == "postgres" {
				driver = "pgx"
			}
			raw, err := sql.Open(driver, url)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			var text, html string
			if err := raw.QueryRowContext(ctx, `SELECT text_body, html_body FROM outbox WHERE id = $1`, got[0].ID).Scan(&text, &html); err != nil {
				t.Fatal(err)
			}
			if text != "" || html != "" {
				t.Fatalf("a sent message kept its body: %q %q", text, html)
			}
		})
	}
}

// TestChannelOutboxClaimsItsChannelOnly: the Web Push worker of a varco
// with no e-mail or SMS sender claims Web Push messages only, with their
// expiry; the e-mails stay pending and unclaimed.
func TestChannelOutboxClaimsItsChannelOnly(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := []store.Message{
			{Event: "password_changed", To: "a@example.it", Lang: "it", Subject: "s", Text: "t", MessageID: "<1@varco>", CreatedAt: t0},
			{Channel: store.ChannelWebPush, Event: "push_sent", To: "dev-1", Text: `{"type":"push_request"}`, MessageID: "<2@varco>",
				CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Minute)},
		}
		for i := range in {
			if err := db.EnqueueMessage(ctx, &in[i]); err != nil {
				t.Fatal(err)
			}
		}
		push := store.ChannelOutbox{Q: db.Q, Channel: store.ChannelWebPush}
		got, err := push.ClaimDue(ctx, t0, t0.Add(time.Minute), 10)
		if err != nil || len(got) != 1 || got[0].Channel != store.ChannelWebPush || !got[0].ExpiresAt.Equal(in[1].ExpiresAt) ||
			got[0].To != "dev-1" || got[0].Text != in[1].Text {
			t.Fatalf("ClaimDue(webpush) = %+v, %v", got, err)
		}
		if again, err := push.ClaimDue(ctx, t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10); err != nil || len(again) != 1 {
			t.Fatalf("after the lease, ClaimDue(webpush) = %+v, %v", again, err)
		}
		if err := push.MarkSent(ctx, got[0].ID, t0); err != nil {
			t.Fatal(err)
		}
		all, err := db.ClaimDue(ctx, t0.Add(time.Hour), t0.Add(2*time.Hour), 10)
		if err != nil || len(all) != 1 || all[0].Channel != store.ChannelEmail || !all[0].ExpiresAt.IsZero() {
			t.Fatalf("ClaimDue = %+v, %v", all, err)
		}
	})
}
