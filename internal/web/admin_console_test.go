package web_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// policyForm is a complete, valid policy form; tests change one field.
func policyForm(edit ...string) url.Values {
	f := url.Values{"max_age_days": {"60"}, "warning_days": {"14, 7,1"}, "inactivity_days": {"15"},
		"suspension_grace_days": {"10"}, "history_depth": {"0"}}
	for i := 0; i+1 < len(edit); i += 2 {
		f.Set(edit[i], edit[i+1])
	}
	return f
}

func (s *site) orgID(name string) int64 {
	s.t.Helper()
	o, err := s.app.DB.OrgByName(context.Background(), name)
	if err != nil {
		s.t.Fatalf("org %s: %v", name, err)
	}
	return o.ID
}

func (s *site) policy(orgID int64) varco.Policy {
	s.t.Helper()
	o, err := s.app.DB.OrgByID(context.Background(), orgID)
	if err != nil {
		s.t.Fatalf("org %d: %v", orgID, err)
	}
	return o.Policy
}

func samePolicy(a, b varco.Policy) bool {
	return a.MaxAgeDays == b.MaxAgeDays && slices.Equal(a.WarningDays, b.WarningDays) && a.InactivityDays == b.InactivityDays &&
		a.SuspensionGraceDays == b.SuspensionGraceDays && a.HistoryDepth == b.HistoryDepth
}

// TestAdminOrgPolicyEditing: support edits an organization's password policy in
// the console and the store holds it for the next job run; a refused value
// comes back next to its field, in the page's language, as typed; an org
// admin reads its own policy and cannot post it; another organization is a
// 404 for it and a plain user gets 403, as in the API.
func TestAdminOrgPolicyEditing(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newSite(t, siteOptions{dev: true, engine: engine})
			s.standard()
			acme, other := s.orgID("acme"), s.orgID("other")
			acmePath, otherPath := fmt.Sprintf("/admin/orgs/%d", acme), fmt.Sprintf("/admin/orgs/%d", other)
			seed := varco.DefaultPolicy()

			support := s.browser()
			support.login("help@provider.test", helpPW)
			p := support.get("/admin/orgs")
			want(t, p, 200, "Organizzazioni", `href="`+acmePath+`"`, `href="`+otherPath+`"`, `href="/admin/outbox"`)
			p = support.get(acmePath)
			want(t, p, 200, `action="`+acmePath+`/policy"`, `name="max_age_days"`, `value="90"`, `value="20,10,5,3,2,1"`)

			t.Run("refused values", func(t *testing.T) {
				tests := []struct {
					name, field, typed, lang, msg string
				}{
					{"not a number", "max_age_days", "abc", "en", "Enter a whole number."},
					{"empty", "inactivity_days", "", "en", "Fill in this field."},
					{"bad list", "warning_days", "20,,5", "en", "Enter whole numbers separated by commas, e.g. 20,10,5."},
					{"warning beyond lifetime", "warning_days", "60,3", "en", "Each day must be from 1 to 59 (less than the password lifetime)."},
					{"warning twice", "warning_days", "3,3", "en", "Day 3 is listed twice."},
					{"too many warnings", "warning_days", "1,2,3,4,5,6,7,8,9,10,11", "en", "List at most 10 days."},
					{"history too deep", "history_depth", "99", "en", "Enter a number from 0 to 24."},
					{"grace zero, Italian", "suspension_grace_days", "0", "it", "Inserisci un numero da 1 a 3650."},
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						form := policyForm(tt.field, tt.typed)
						p := support.post(acmePath+"/policy?lang="+tt.lang, form)
						want(t, p, 400, `role="alert"`,
							`<small class="field-error" id="err-`+tt.field+`">`+html.EscapeString(tt.msg)+`</small>`,
							`aria-describedby="err-`+tt.field+` hint-`+tt.field+`" aria-invalid="true"`)
						// Every field keeps what was typed.
						for name := range form {
							typ := "number"
							if name == "warning_days" {
								typ = "text"
							}
							want(t, p, 400, `id="f-`+name+`" name="`+name+`" type="`+typ+`" inputmode="numeric" value="`+html.EscapeString(form.Get(name))+`"`)
						}
						if n := strings.Count(p.body, `class="field-error"`); n != 1 {
							t.Fatalf("%d field errors, want 1", n)
						}
					})
				}
				if got := s.policy(acme); !samePolicy(got, seed) {
					t.Fatalf("a refused form changed the policy: %+v", got)
				}
			})

			wantRedirect(t, support.post(acmePath+"/policy?lang=it", policyForm()), acmePath+"?done=saved")
			p = support.get(acmePath + "?done=saved")
			want(t, p, 200, "Regole salvate", `value="60"`, `value="14,7,1"`, "14, 7, 1 giorni prima della scadenza")
			// The store holds it: the next job run reads this policy.
			wantPol := varco.Policy{MaxAgeDays: 60, WarningDays: []int{14, 7, 1}, InactivityDays: 15, SuspensionGraceDays: 10}
			if got := s.policy(acme); !samePolicy(got, wantPol) {
				t.Fatalf("stored policy %+v, want %+v", got, wantPol)
			}
			if got := s.policy(other); !samePolicy(got, seed) {
				t.Fatalf("another organization's policy changed: %+v", got)
			}
			evs, err := s.app.DB.ListEvents(context.Background(), store.EventFilter{Types: []string{varco.EventOrgPolicyChanged}, Limit: 10})
			if err != nil || len(evs) != 1 || evs[0].OrgID != acme || evs[0].Actor != varco.ActorSupport {
				t.Fatalf("org_policy_changed events: %v %+v", err, evs)
			}
			// An empty list means no warnings.
			wantRedirect(t, support.post(acmePath+"/policy", policyForm("warning_days", " ")), acmePath+"?done=saved")
			if got := s.policy(acme); len(got.WarningDays) != 0 {
				t.Fatalf("warning days %v, want none", got.WarningDays)
			}
			// From a user's page, support reaches the policy form.
			mario := s.Account("mario@acme.test")
			want(t, support.get(fmt.Sprintf("/admin/users/%d", mario.ID)), 200, `<a href="`+acmePath+`">`)

			want(t, support.get("/admin/orgs/4242"), 404)
			want(t, support.post("/admin/orgs/4242/policy", policyForm()), 404)
			want(t, support.get("/admin/orgs/abc"), 404)

			// anna is acme's org admin (English).
			anna := s.browser()
			anna.login("anna@acme.test", annaPW)
			p = anna.get("/admin/orgs")
			want(t, p, 200, "Your organization and its password policy.", `href="`+acmePath+`"`)
			if strings.Contains(p.body, `href="`+otherPath+`"`) || strings.Contains(p.body, `href="/admin/outbox"`) {
				t.Fatal("an org admin sees another organization or the dead letters")
			}
			p = anna.get(acmePath)
			want(t, p, 200, "Password policy of acme", `id="policy-max-age">60 days`, "Only support can change this policy.")
			if strings.Contains(p.body, `/policy"`) || strings.Contains(p.body, `name="max_age_days"`) {
				t.Fatal("an org admin is offered the policy form")
			}
			if p := anna.get(fmt.Sprintf("/admin/users/%d", mario.ID)); strings.Contains(p.body, `<a href="`+acmePath+`">`) {
				t.Fatal("an org admin is offered to edit the policy")
			}
			want(t, anna.post(acmePath+"/policy", policyForm("max_age_days", "365")), 403, "You are not allowed")
			want(t, anna.post(acmePath+"/policy", policyForm("max_age_days", "nope")), 403) // refused before the form is read
			want(t, anna.get(otherPath), 404, "does not exist")
			want(t, anna.post(otherPath+"/policy", policyForm()), 404)
			if got := s.policy(acme); got.MaxAgeDays != 60 {
				t.Fatalf("an org admin changed the policy: %+v", got)
			}
			if got := s.policy(other); !samePolicy(got, seed) {
				t.Fatalf("an org admin changed another organization's policy: %+v", got)
			}

			user := s.browser()
			user.login("mario@acme.test", marioPW)
			want(t, user.get("/admin/orgs"), 403, "Non hai i permessi")
			want(t, user.get(acmePath), 403)
			want(t, user.post(acmePath+"/policy", policyForm()), 403)

			anon := s.browser()
			wantRedirect(t, anon.get(acmePath), "/login")
			wantRedirect(t, anon.post(acmePath+"/policy", policyForm()), "/login")
		})
	}
}

// deadLetter writes a message to the outbox and dead-letters it, as the
// worker does when the mail server refuses it for good.
func (s *site) deadLetter(to string, created time.Time) int64 {
	s.t.Helper()
	ctx := context.Background()
	m := &notify.Message{Event: notify.EventPasswordChanged, To: to, Lang: varco.LangIT, Subject: "Password cambiata",
		Text: "secret body", MessageID: fmt.Sprintf("<%d@varco.test>", created.UnixNano()), CreatedAt: created}
	if err := s.app.DB.EnqueueMessage(ctx, m); err != nil {
		s.t.Fatalf("enqueue: %v", err)
	}
	if err := s.app.DB.MarkFailed(ctx, m.ID, created, "550 5.1.1 m***@acme.test: mailbox unavailable", true); err != nil {
		s.t.Fatalf("dead-letter: %v", err)
	}
	return m.ID
}

// TestAdminDeadLetters: support lists the dead letters (recipient masked,
// no body) and queues one again, which makes it pending; org admins and
// users get 403, as in the API.
func TestAdminDeadLetters(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newSite(t, siteOptions{dev: true, engine: engine})
			s.standard()
			ctx := context.Background()
			created := time.Date(2026, 5, 4, 8, 5, 0, 0, time.UTC)
			id := s.deadLetter("mario@acme.test", created)

			support := s.browser()
			support.login("help@provider.test", helpPW)
			p := support.get("/admin/outbox")
			want(t, p, 200, "Messaggi non recapitati", fmt.Sprintf(`data-message="%d"`, id), "Password cambiata",
				"m***@acme.test", "550 5.1.1", "4 mag 2026, 10:05 CEST", fmt.Sprintf(`action="/admin/outbox/%d/retry"`, id))
			if strings.Contains(p.body, "mario@acme.test") || strings.Contains(p.body, "secret body") {
				t.Fatal("the dead letters show a full address or a body")
			}

			for _, who := range []struct{ email, pw string }{{"anna@acme.test", annaPW}, {"mario@acme.test", marioPW}} {
				b := s.browser()
				b.login(who.email, who.pw)
				want(t, b.get("/admin/outbox"), 403)
				want(t, b.post(fmt.Sprintf("/admin/outbox/%d/retry", id), nil), 403)
			}
			wantRedirect(t, s.browser().post(fmt.Sprintf("/admin/outbox/%d/retry", id), nil), "/login")

			wantRedirect(t, support.post(fmt.Sprintf("/admin/outbox/%d/retry", id), nil), "/admin/outbox?done=retried")
			want(t, support.get("/admin/outbox?done=retried"), 200, "Messaggio rimesso in coda", "Nessun messaggio non recapitato.")
			pending, err := s.app.DB.ListOutbox(ctx, store.OutboxPending, 0, 10)
			if err != nil || len(pending) != 1 || pending[0].ID != id || pending[0].Attempts != 0 {
				t.Fatalf("after retry, pending = %v %+v", err, pending)
			}
			// A second click finds nothing to retry.
			wantRedirect(t, support.post(fmt.Sprintf("/admin/outbox/%d/retry", id), nil), "/admin/outbox?done=gone")
			want(t, support.get("/admin/outbox?done=gone&lang=en"), 200, "That message is no longer among the undelivered ones.")
			want(t, support.post("/admin/outbox/abc/retry", nil), 404)
			want(t, support.get("/admin/outbox?cursor=x"), 400)

			// More than a page: the newest 50, then the rest.
			for i := range 51 {
				s.deadLetter(fmt.Sprintf("u%d@acme.test", i), created.Add(time.Duration(i)*time.Minute))
			}
			p = support.get("/admin/outbox")
			if n := strings.Count(p.body, "<tr data-message="); n != 50 || !strings.Contains(p.body, `rel="next"`) {
				t.Fatalf("first page: %d rows", n)
			}
			next := p.body[strings.Index(p.body, `rel="next" href="`)+len(`rel="next" href="`):]
			next = html.UnescapeString(next[:strings.IndexByte(next, '"')])
			p = support.get(next)
			if n := strings.Count(p.body, "<tr data-message="); n != 1 || strings.Contains(p.body, `rel="next"`) {
				t.Fatalf("second page: %d rows", n)
			}
		})
	}
}
