package smssink

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, rawURL, contentType, body string, edit func(*http.Request)) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestWebhookChecksTokenAndShape(t *testing.T) {
	s := Start(t, WithToken("tok"))
	bearer := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", v) }
	}
	body := `{"to":"+393471234567","text":"codice 123456","event":"otp_sent"}`
	tests := []struct {
		name, ctype, body string
		edit              func(*http.Request)
		want              int
	}{
		{"no token", "application/json", body, nil, 401},
		{"wrong token", "application/json", body, bearer("Bearer nope"), 401},
		{"form", "application/x-www-form-urlencoded", "to=x", bearer("Bearer tok"), 415},
		{"missing event", "application/json", `{"to":"+393471234567","text":"x"}`, bearer("Bearer tok"), 400},
		{"unknown field", "application/json", `{"to":"+1","text":"x","event":"e","x":1}`, bearer("Bearer tok"), 400},
		{"ok", "application/json", body, bearer("Bearer tok"), 200},
	}
	for _, tt := range tests {
		if got := post(t, s.URL(), tt.ctype, tt.body, tt.edit); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	got := s.Wait(t, 1, 10*time.Second)
	if want := (Message{Shape: ShapeWebhook, To: "+393471234567", Text: "codice 123456", Event: "otp_sent"}); got[0] != want {
		t.Errorf("got %+v", got[0])
	}
	if s.Refused() != 5 {
		t.Errorf("refused %d, want 5", s.Refused())
	}
}

func TestTwilioChecksBasicAuth(t *testing.T) {
	s := Start(t, WithTwilioAccount("AC9", "pw"))
	u, err := url.Parse(s.TwilioURL("+390612345678"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "twilio" || u.User.Username() != "AC9" || u.Query().Get("from") != "+390612345678" {
		t.Fatalf("TwilioURL = %s", u)
	}
	endpoint := "http://" + u.Host + "/2010-04-01/Accounts/AC9/Messages.json"
	form := url.Values{"To": {"+393471234567"}, "From": {"+390612345678"}, "Body": {"hi 654321"}}.Encode()
	auth := func(user, pass string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}
	if got := post(t, endpoint, "application/x-www-form-urlencoded", form, auth("AC9", "bad")); got != 401 {
		t.Errorf("bad password: %d", got)
	}
	if got := post(t, "http://"+u.Host+"/2010-04-01/Accounts/AC8/Messages.json", "application/x-www-form-urlencoded", form,
		auth("AC9", "pw")); got != 401 {
		t.Errorf("other account in path: %d", got)
	}
	s.FailNext(1, 503)
	if got := post(t, endpoint, "application/x-www-form-urlencoded", form, auth("AC9", "pw")); got != 503 {
		t.Errorf("FailNext: %d", got)
	}
	if got := post(t, endpoint, "application/x-www-form-urlencoded", form, auth("AC9", "pw")); got != 201 {
		t.Errorf("ok: %d", got)
	}
	m := s.WaitFor(t, SentTo("+393471234567"), 10*time.Second)
	if m.Shape != ShapeTwilio || m.From != "+390612345678" || Code(t, m.Text) != "654321" {
		t.Errorf("got %+v", m)
	}
	if s.Rejected() != 1 || len(s.Messages()) != 1 {
		t.Errorf("rejected %d, messages %d", s.Rejected(), len(s.Messages()))
	}
}

func TestFindCode(t *testing.T) {
	tests := []struct {
		text, want string
		ok         bool
	}{
		{"Il tuo codice è 482913. Vale 10 minuti.", "482913", true},
		{"482913", "482913", true},
		{"codes 123456 and 654321", "", false},
		{"no code, only 10 minutes", "", false},
		{"a 7-digit 1234567 is not a code", "", false},
		{"code: 012345!", "012345", true},
	}
	for _, tt := range tests {
		got, err := FindCode(tt.text)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("FindCode(%q) = %q, %v", tt.text, got, err)
		}
	}
}
