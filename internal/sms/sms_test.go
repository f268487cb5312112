package sms

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/testenv/smssink"
)

const wait = 10 * time.Second

func otp(to string) notify.Message {
	return notify.Message{ID: 7, Channel: notify.ChannelSMS, Event: "otp_sent", To: to, Lang: "it",
		Text: "Varco: il tuo codice è 482913. Vale 10 minuti."}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw      string
		kind     string
		endpoint string
		from     string
		err      string // substring of the error; "" for none
	}{
		{raw: "https://sms.example.it/hook", kind: KindWebhook, endpoint: "https://sms.example.it/hook"},
		{raw: "https://sms.example.it:8443/v1/send?key=abc", kind: KindWebhook, endpoint: "https://sms.example.it:8443/v1/send?key=abc"},
		{raw: "HTTPS://sms.example.it/hook", kind: KindWebhook, endpoint: "https://sms.example.it/hook"},
		{raw: "http://127.0.0.1:9000/sms", kind: KindWebhook, endpoint: "http://127.0.0.1:9000/sms"},
		{raw: "http://localhost/sms", kind: KindWebhook, endpoint: "http://localhost/sms"},
		{raw: "http://[::1]:9000/sms", kind: KindWebhook, endpoint: "http://[::1]:9000/sms"},
		{raw: "twilio://AC0123:tok3n@api.twilio.com?from=%2B390612345678", kind: KindTwilio,
			endpoint: "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages.json", from: "+390612345678"},
		{raw: "twilio://AC0123:tok3n@127.0.0.1:8080/?from=Varco", kind: KindTwilio,
			endpoint: "http://127.0.0.1:8080/2010-04-01/Accounts/AC0123/Messages.json", from: "Varco"},
		{raw: "", err: "empty"},
		{raw: " https://sms.example.it/hook", err: "spaces"},
		{raw: "http://sms.example.it/hook", err: "loopback"},
		{raw: "ftp://sms.example.it/hook", err: "scheme"},
		{raw: "https://user:pw@sms.example.it/hook", err: "VARCO_SMS_TOKEN"},
		{raw: "https:///hook", err: "want https://"},
		{raw: "https://sms.example.it/hook#x", err: "fragment"},
		{raw: "https://sms.example.it:0/hook", err: "port"},
		{raw: "https://sms.example.it:99999/hook", err: "port"},
		{raw: "sms.example.it/hook", err: "want https://"},
		{raw: "twilio://api.twilio.com?from=%2B390612345678", err: "twilio://SID:TOKEN"},
		{raw: "twilio://AC0123@api.twilio.com?from=%2B390612345678", err: "auth token"},
		{raw: "twilio://AC0123:@api.twilio.com?from=%2B390612345678", err: "auth token"},
		{raw: "twilio://AC%2F0:tok@api.twilio.com?from=%2B390612345678", err: "SID"},
		{raw: "twilio://AC0123:tok@api.twilio.com/x?from=%2B390612345678", err: "no path"},
		{raw: "twilio://AC0123:tok@api.twilio.com", err: "from must be"},
		{raw: "twilio://AC0123:tok@api.twilio.com?from=+390612345678", err: "from must be"}, // "+" decodes to a space
		{raw: "twilio://AC0123:tok@api.twilio.com?from=%2B0612345678", err: "from must be"},
		{raw: "twilio://AC0123:tok@api.twilio.com?from=123456", err: "from must be"},
		{raw: "twilio://AC0123:tok@api.twilio.com?from=VarcoNotifier1", err: "from must be"},
		{raw: "twilio://AC0123:tok@api.twilio.com?from=Varco&from=Other", err: "more than once"},
		{raw: "twilio://AC0123:tok@api.twilio.com?from=Varco&to=x", err: "unknown parameter"},
		{raw: "twilio://AC0123:tok@api.twilio.com?from=Varco;x", err: "invalid query"},
		{raw: "https://sms.example.it/%zz", err: "sms url"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			c, err := ParseURL(tt.raw)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseURL error = %v, want one containing %q", err, tt.err)
				}
				if strings.Contains(err.Error(), ":tok") || strings.Contains(err.Error(), "pw@") {
					t.Errorf("error repeats a credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != tt.kind || c.Endpoint != tt.endpoint || c.From != tt.from {
				t.Errorf("ParseURL = %+v", c)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://sms.example.it/hook", "http://127.0.0.1:1/sms",
		"twilio://AC1:tok@api.twilio.com?from=%2B390612345678", "twilio://AC1:tok@[::1]:80?from=Varco",
		"http://[::1", "twilio://:@?from=", "https://a/%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseURL(raw)
		if err != nil {
			if c != (Config{}) {
				t.Fatalf("error %v with config %+v", err, c)
			}
			return
		}
		switch c.Kind {
		case KindWebhook:
			if !strings.HasPrefix(c.Endpoint, "https://") && !strings.HasPrefix(c.Endpoint, "http://") {
				t.Fatalf("webhook endpoint %q", c.Endpoint)
			}
		case KindTwilio:
			if c.AccountSID == "" || c.AuthToken == "" || c.From == "" ||
				!strings.HasSuffix(c.Endpoint, "/2010-04-01/Accounts/"+c.AccountSID+"/Messages.json") {
				t.Fatalf("twilio config %+v", c)
			}
		default:
			t.Fatalf("kind %q", c.Kind)
		}
		if strings.HasPrefix(c.Endpoint, "http://") {
			h := strings.TrimPrefix(c.Endpoint, "http://")
			if !strings.HasPrefix(h, "127.") && !strings.HasPrefix(strings.ToLower(h), "localhost") && !strings.HasPrefix(h, "[::1]") {
				t.Fatalf("plain http to a host that may not be loopback: %q", c.Endpoint)
			}
		}
		if _, err := New(raw, "", Options{}); err != nil {
			t.Fatalf("New refused a URL ParseURL accepted: %v", err)
		}
	})
}

func TestWebhookDelivers(t *testing.T) {
	for _, token := range []string{"", "s3cret-token"} {
		t.Run("token="+token, func(t *testing.T) {
			sink := smssink.Start(t, smssink.WithToken(token))
			s, err := New(sink.URL(), token, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), otp("+393471234567")); err != nil {
				t.Fatal(err)
			}
			got := sink.Wait(t, 1, wait)[0]
			want := smssink.Message{Shape: smssink.ShapeWebhook, To: "+393471234567",
				Text: "Varco: il tuo codice è 482913. Vale 10 minuti.", Event: "otp_sent"}
			if got != want {
				t.Errorf("sink got %+v, want %+v", got, want)
			}
			if c := smssink.Code(t, got.Text); c != "482913" {
				t.Errorf("code = %q", c)
			}
		})
	}
}

func TestTwilioDelivers(t *testing.T) {
	sink := smssink.Start(t, smssink.WithTwilioAccount("AC42", "tw-secret"))
	s, err := New(sink.TwilioURL("+390612345678"), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind() != KindTwilio {
		t.Fatalf("kind %q", s.Kind())
	}
	if err := s.Send(context.Background(), otp("+393471234567")); err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, 1, wait)[0]
	want := smssink.Message{Shape: smssink.ShapeTwilio, To: "+393471234567", From: "+390612345678",
		Text: "Varco: il tuo codice è 482913. Vale 10 minuti."}
	if got != want {
		t.Errorf("sink got %+v, want %+v", got, want)
	}
}

func TestWrongCredentialsArePermanent(t *testing.T) {
	sink := smssink.Start(t, smssink.WithToken("right"), smssink.WithTwilioAccount("AC42", "right"))
	wrongTwilio := strings.Replace(sink.TwilioURL("Varco"), ":right@", ":wrong@", 1)
	for name, s := range map[string]func() (*Sender, error){
		"webhook wrong token": func() (*Sender, error) { return New(sink.URL(), "wrong", Options{}) },
		"webhook no token":    func() (*Sender, error) { return New(sink.URL(), "", Options{}) },
		"twilio wrong token":  func() (*Sender, error) { return New(wrongTwilio, "", Options{}) },
	} {
		t.Run(name, func(t *testing.T) {
			sender, err := s()
			if err != nil {
				t.Fatal(err)
			}
			err = sender.Send(context.Background(), otp("+393471234567"))
			var se *StatusError
			if !notify.IsPermanent(err) || !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
				t.Fatalf("Send = %v, want a permanent 401", err)
			}
			for _, secret := range []string{"right", "wrong", "3471234567", "482913"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}
		})
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("sink recorded %d messages", n)
	}
}

func TestStatusClassification(t *testing.T) {
	tests := []struct {
		status    int
		permanent bool
	}{
		{400, true}, {401, true}, {403, true}, {404, true}, {422, true},
		{408, false}, {429, false}, {500, false}, {502, false}, {503, false},
	}
	sink := smssink.Start(t)
	for _, shape := range []string{"webhook", "twilio"} {
		raw := sink.URL()
		if shape == "twilio" {
			raw = sink.TwilioURL("Varco")
		}
		s, err := New(raw, "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			sink.FailNext(1, tt.status)
			err := s.Send(context.Background(), otp("+393471234567"))
			var se *StatusError
			if err == nil || !errors.As(err, &se) || se.Code != tt.status || notify.IsPermanent(err) != tt.permanent {
				t.Errorf("%s %d: Send = %v (permanent %v), want permanent=%v", shape, tt.status, err,
					notify.IsPermanent(err), tt.permanent)
			}
		}
	}
	if len(sink.Messages()) != 0 || sink.Rejected() != 2*len(tests) {
		t.Errorf("messages %d, rejected %d", len(sink.Messages()), sink.Rejected())
	}
}

func TestRedirectAndNetworkErrorsAreRetried(t *testing.T) {
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
	}))
	defer redirect.Close()
	s, err := New(redirect.URL+"/sms", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), otp("+393471234567")); err == nil || notify.IsPermanent(err) {
		t.Errorf("redirect: Send = %v, want a temporary error", err)
	}

	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL + "/sms?key=hush"
	down.Close()
	s, err = New(url, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), otp("+393471234567"))
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("closed server: Send = %v, want a temporary error", err)
	}
	if strings.Contains(err.Error(), "hush") {
		t.Errorf("error repeats the URL's query: %v", err)
	}
}

func TestBadMessagesArePermanent(t *testing.T) {
	sink := smssink.Start(t)
	s, err := New(sink.URL(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	email := otp("+393471234567")
	email.Channel = notify.ChannelEmail
	empty := otp("+393471234567")
	empty.Text = " \n"
	for name, m := range map[string]notify.Message{
		"e-mail":       email,
		"empty text":   empty,
		"no plus":      otp("393471234567"),
		"spaces":       otp("+39 347 1234567"),
		"too short":    otp("+3934712"),
		"too long":     otp("+3934712345678901"),
		"e-mail to":    otp("mario@example.it"),
		"arabic digit": otp("+39347123456٧"),
	} {
		if err := s.Send(context.Background(), m); !notify.IsPermanent(err) {
			t.Errorf("%s: Send = %v, want a permanent error", name, err)
		}
	}
	if n := len(sink.Messages()) + sink.Refused(); n != 0 {
		t.Errorf("sink saw %d requests", n)
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New("https://sms.example.it/hook", "a\nb", Options{}); err == nil {
		t.Error("New accepted a token with a newline")
	}
	if _, err := New("twilio://AC1:tok@api.twilio.com?from=Varco", "extra", Options{}); err == nil {
		t.Error("New accepted a bearer token with a twilio:// URL")
	}
	if _, err := New("ftp://x", "", Options{}); err == nil {
		t.Error("New accepted ftp://")
	}
}
