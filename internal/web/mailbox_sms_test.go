package web_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

// TestDevMailboxShowsSMS: in dev mode an SMS lands in the dev mailbox,
// marked as an SMS to its number.
func TestDevMailboxShowsSMS(t *testing.T) {
	s := newSite(t)
	s.standard()
	ctx := context.Background()
	a := s.Account("mario@acme.test")
	err := s.app.DB.InTx(ctx, func(q *store.Q) error {
		return s.app.Mailer.EnqueueSMS(ctx, q, a, "+393471234567", notify.EventOTPSent,
			notify.Data{Code: "735102", ValidFor: 10 * time.Minute})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	p := s.browser().get("/dev/mailbox")
	want(t, p, 200, `class="badge channel-sms"`, "SMS a &#43;393471234567", "otp_sent", "735102", "10 minuti")
	id := regexp.MustCompile(`href="/dev/mailbox/(\d+)"`).FindStringSubmatch(p.body)
	if id == nil {
		t.Fatalf("no message link:\n%s", p.body)
	}
	want(t, s.browser().get("/dev/mailbox/"+id[1]+"?lang=en"), 200, "SMS to &#43;393471234567", "735102")
}
