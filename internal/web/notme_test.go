package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// TestNotMePage: the "this wasn't me" link of a login alert opens a page
// that changes nothing until its button is pressed; then the session of
// that sign-in ends and a reset link is sent (SPEC §5.10).
func TestNotMePage(t *testing.T) {
	s := newStepUpSite(t, "sqlite")
	victim := s.away()
	victim.startStepUp("mario@acme.test", marioPW)
	pin := victim.sendPIN("mario@acme.test")
	victim.post("/login/step-up/verify", url.Values{"code": {pin}})
	want(t, victim.get("/profile"), 200, "Mario Rossi")
	m := s.sink.Wait(t, smtpsink.EventIs(varco.EventLoginAlertSent), 10*time.Second)
	link, ok := smtpsink.FindLink(m.Text, "/login/not-me")
	if !ok {
		t.Fatalf("no link in the alert:\n%s", m.Text)
	}
	b := s.browser()
	page := b.get(link.RequestURI())
	want(t, page, 200, "Non ero io", `id="notme-submit"`)
	want(t, victim.get("/profile"), 200, "Mario Rossi") // opening the page changed nothing
	want(t, b.post("/login/not-me", url.Values{"token": {link.Query().Get("token")}}), 200, `id="notme-done"`)
	if p := victim.get("/profile"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
		t.Fatalf("the session survived: %d %s", p.status, p.location())
	}
	s.sink.Wait(t, smtpsink.EventIs(varco.EventPasswordResetRequested), 10*time.Second)
	want(t, b.post("/login/not-me", url.Values{"token": {link.Query().Get("token")}}), http.StatusBadRequest, "non è valido")
	want(t, b.get("/login/not-me"), http.StatusBadRequest, "non è valido")
}
