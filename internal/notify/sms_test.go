package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"varco.dev/varco/internal/clock"
)

func TestMaskPhone(t *testing.T) {
	tests := map[string]string{
		"+393471234567": "+39********67",
		"+12025550123":  "+12*******23",
		"+3934712":      "+39***12",
		"+39347":        "***",
		"":              "***",
		"\xff\xfe34567": "***",
	}
	for in, want := range tests {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessageMaskedTo(t *testing.T) {
	if got := MaskedTo(Message{Channel: ChannelSMS, To: "+393471234567"}); got != "+39********67" {
		t.Errorf("SMS MaskedTo = %q", got)
	}
	if got := MaskedTo(Message{To: "mario@example.it"}); got != "m***@example.it" {
		t.Errorf("e-mail MaskedTo = %q", got)
	}
}

func TestRenderSMS(t *testing.T) {
	data := Data{Code: "048213", ValidFor: 10 * time.Minute}
	tests := []struct {
		event, lang string
		want        []string
	}{
		{EventOTPSent, "it", []string{"048213", "10 minuti", "Non comunicarlo"}},
		{EventOTPSent, "en", []string{"048213", "10 minutes", "Never share it"}},
		{EventOTPSent, "fr", []string{"048213", "10 minutes"}}, // English fallback
		{EventPhoneVerificationSent, "it", []string{"048213", "10 minuti", "confermare questo numero"}},
		{EventPhoneVerificationSent, "en-GB", []string{"048213", "10 minutes", "confirm this number"}},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/"+tt.lang, func(t *testing.T) {
			text, err := RenderSMS(tt.event, tt.lang, data)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q: %q", w, text)
				}
			}
			if n := len(sixDigits.FindAllString(text, -1)); n != 1 {
				t.Errorf("text has %d 6-digit numbers, want 1: %q", n, text)
			}
			if strings.ContainsAny(text, "\n\t") || strings.Contains(text, "  ") || strings.TrimSpace(text) != text {
				t.Errorf("text is not one tidy line: %q", text)
			}
		})
	}
	if _, err := RenderSMS("password_changed", "it", data); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("unknown event: %v", err)
	}
	if _, err := RenderSMS(EventOTPSent, "it", struct{}{}); err == nil {
		t.Error("RenderSMS without a Code succeeded")
	}
}

// TestEverySMSFitsOneMessage: every SMS template, in every language, with
// the longest data it takes, stays within 160 characters.
func TestEverySMSFitsOneMessage(t *testing.T) {
	events, err := SMSEvents()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(events, EventOTPSent) || !slices.Contains(events, EventPhoneVerificationSent) {
		t.Fatalf("SMS events = %v", events)
	}
	for _, e := range events {
		for _, lang := range Languages {
			text, err := RenderSMS(e, lang, Data{Code: "999999", ValidFor: 10 * time.Minute,
				Common: Common{DisplayName: strings.Repeat("x", 60)}})
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, e, err)
			}
			if n := utf8.RuneCountInString(text); n > 160 {
				t.Errorf("%s/%s is %d characters: %q", lang, e, n, text)
			}
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d      time.Duration
		it, en string
	}{
		{10 * time.Minute, "10 minuti", "10 minutes"},
		{time.Minute, "1 minuto", "1 minute"},
		{90 * time.Second, "2 minuti", "2 minutes"},
		{time.Hour, "1 ora", "1 hour"},
		{24 * time.Hour, "24 ore", "24 hours"},
		{90 * time.Minute, "90 minuti", "90 minutes"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.d, "it"); got != tt.it {
			t.Errorf("FormatDuration(%v, it) = %q, want %q", tt.d, got, tt.it)
		}
		if got := FormatDuration(tt.d, "en"); got != tt.en {
			t.Errorf("FormatDuration(%v, en) = %q, want %q", tt.d, got, tt.en)
		}
	}
}

func smsFor(to string) Message {
	return Message{Channel: ChannelSMS, Event: EventOTPSent, To: to, Lang: "it",
		Text: "Varco: il tuo codice è 918273.", MessageID: "<sms@varco.test>", CreatedAt: t0}
}

func TestRouter(t *testing.T) {
	var got []string
	rec := func(name string) Sender {
		return senderFunc(func(_ context.Context, m Message) error {
			got = append(got, name+":"+m.To)
			return nil
		})
	}
	r := Router{Email: rec("email"), SMS: rec("sms")}
	ctx := context.Background()
	for _, m := range []Message{mailFor("a@example.it"), smsFor("+393471234567"),
		{Channel: ChannelEmail, To: "b@example.it"}} {
		if err := r.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"email:a@example.it", "sms:+393471234567", "email:b@example.it"}; !slices.Equal(got, want) {
		t.Errorf("routed %v, want %v", got, want)
	}
	if err := r.Send(ctx, Message{Channel: "pigeon"}); !IsPermanent(err) {
		t.Errorf("unknown channel: %v", err)
	}
	none := Router{}
	if err := none.Send(ctx, smsFor("+393471234567")); !IsPermanent(err) || !errors.Is(err, ErrNoSMSGateway) {
		t.Errorf("SMS without a gateway: %v", err)
	}
	if err := none.Send(ctx, mailFor("a@example.it")); IsPermanent(err) || !errors.Is(err, ErrNoSMTP) {
		t.Errorf("e-mail without SMTP: %v", err)
	}
}

// TestWorkerDeadLettersSMSWithoutGateway: an SMS with no gateway is
// dead-lettered at once, with a last error saying why.
func TestWorkerDeadLettersSMSWithoutGateway(t *testing.T) {
	var buf bytes.Buffer
	ob := &fakeOutbox{}
	id := ob.add(smsFor("+393471234567"), t0)
	w := NewWorker(ob, Router{Email: senderFunc(func(context.Context, Message) error { return nil })},
		WorkerOptions{Clock: clock.NewManual(t0), Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if _, failed, err := w.DrainOnce(context.Background()); err != nil || failed != 1 {
		t.Fatalf("DrainOnce: failed %d, %v", failed, err)
	}
	r := ob.row(id)
	if r.status != "dead" || !strings.Contains(r.lastError, "no SMS gateway configured") {
		t.Errorf("row %+v", r)
	}
	logs := buf.String()
	if strings.Contains(logs, "3471234567") || strings.Contains(logs, "918273") {
		t.Errorf("logs show the number or the text:\n%s", logs)
	}
	for _, want := range []string{`"to":"+39********67"`, `"channel":"sms"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// TestWorkerMasksNumberInSMSErrors: a gateway error that echoes the number
// is kept and logged with the number masked.
func TestWorkerMasksNumberInSMSErrors(t *testing.T) {
	var buf bytes.Buffer
	ob := &fakeOutbox{}
	id := ob.add(smsFor("+393471234567"), t0)
	s := senderFunc(func(_ context.Context, m Message) error {
		return Permanent(errors.New("gateway: " + m.To + " is not reachable"))
	})
	w := NewWorker(ob, Router{SMS: s}, WorkerOptions{Clock: clock.NewManual(t0), Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if _, _, err := w.DrainOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := ob.row(id); r.lastError != "gateway: +39********67 is not reachable" {
		t.Errorf("last error %q", r.lastError)
	}
	if strings.Contains(buf.String(), "3471234567") {
		t.Errorf("logs show the number:\n%s", buf.String())
	}
}
