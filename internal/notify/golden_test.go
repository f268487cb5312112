package notify

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of TestRenderGolden")

// TestRenderGolden renders every e-mail and SMS event in every language with
// the fixed sampleData and compares the result with testdata/golden: a
// change of wording, layout or escaping shows up as a diff to review. Run
// `go test ./internal/notify/ -run TestRenderGolden -update` to accept one.
func TestRenderGolden(t *testing.T) {
	checked = map[string]bool{}
	defer func() {
		// A golden file nothing rendered is an event that lost its
		// template (or a file left behind by a rename).
		files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*"))
		for _, f := range files {
			if !checked[filepath.Base(f)] && !*updateGolden {
				t.Errorf("%s: no event renders it", f)
			}
		}
	}()
	events, err := Events()
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range events {
		data, ok := sampleData[event]
		if !ok {
			t.Errorf("%s: no sample data", event)
			continue
		}
		for _, lang := range Languages {
			subject, text, html, err := Render(event, lang, data)
			if err != nil {
				t.Errorf("%s/%s: %v", event, lang, err)
				continue
			}
			base := event + "." + lang
			checkGolden(t, base+".txt", "Subject: "+subject+"\n\n"+text)
			checkGolden(t, base+".html", html)
		}
	}
	for _, v := range goldenVariants() {
		for _, lang := range Languages {
			subject, text, html, err := Render(v.event, lang, v.data)
			if err != nil {
				t.Errorf("%s/%s/%s: %v", v.event, v.name, lang, err)
				continue
			}
			base := v.event + "." + v.name + "." + lang
			checkGolden(t, base+".txt", "Subject: "+subject+"\n\n"+text)
			checkGolden(t, base+".html", html)
		}
	}
	sms, err := SMSEvents()
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range sms {
		for _, lang := range Languages {
			text, err := RenderSMS(event, lang, Data{Code: "048213", ValidFor: 10 * time.Minute})
			if err != nil {
				t.Errorf("sms %s/%s: %v", event, lang, err)
				continue
			}
			checkGolden(t, "sms."+event+"."+lang+".txt", text+"\n")
		}
	}
}

type goldenVariant struct {
	event, name string
	data        Data
}

// goldenVariants are the branches sampleData does not take: every event
// with nothing optional (no name, e-mail, place, support contact…), and
// the actors, counts and cases that change the wording.
func goldenVariants() []goldenVariant {
	events, _ := Events()
	bare := Data{Common: Common{BaseURL: "https://a.example"}, Time: t0, ExpiresAt: t0.Add(48 * time.Hour),
		DaysLeft: 2, GraceDays: 2, DaysInactive: 2, Label: "x", Code: "042917", ValidFor: time.Hour,
		ResetURL: "https://a.example/r?token=t", NotMeURL: "https://a.example/n?token=t",
		VerifyURL: "https://a.example/v?token=t", ContactEmail: "c@example.it"}
	var out []goldenVariant
	for _, e := range events {
		out = append(out, goldenVariant{e, "bare", bare})
	}
	with := func(event, name string, f func(d *Data)) {
		d, _ := sampleData[event].(Data)
		f(&d)
		out = append(out, goldenVariant{event, name, d})
	}
	for _, actor := range []string{"reset", "admin", "support"} {
		with(EventPasswordChanged, actor, func(d *Data) { d.Actor = actor })
	}
	with("password_expiry_warning_sent", "tomorrow", func(d *Data) { d.DaysLeft, d.GraceDays = 1, 1 })
	with("app_password_expiry_warning_sent", "tomorrow", func(d *Data) { d.DaysLeft = 1 })
	with("account_suspended", "no_grace", func(d *Data) { d.GraceDays = 0 })
	with("account_suspended", "one_day", func(d *Data) { d.GraceDays = 1 })
	with("account_reactivated", "admin", func(d *Data) { d.Actor = "admin" })
	with("password_reset_requested", "inactive", func(d *Data) {
		d.ContactSupport, d.Support, d.Location = true, "assistenza@example.it", "Milano, Italia"
	})
	with("password_reset_requested", "admin", func(d *Data) { d.Actor = "admin" })
	with("password_reset_requested", "support", func(d *Data) { d.Actor = "support" })
	with("inactivity_warning_sent", "never", func(d *Data) { d.LastLogin, d.DaysInactive = time.Time{}, 1 })
	with("account_locked", "no_ip", func(d *Data) { d.IP = "" })
	with("pin_sent", "no_ip", func(d *Data) { d.IP = "" })
	with("pin_sent", "ip_only", func(d *Data) { d.Location = "" })
	hostile := func(d *Data) {
		d.DisplayName = `<script>alert("x")</script>`
		d.Email = `a"b@example.it`
		d.Location = `Roma <b>&</b> "centro"`
		d.Device = `<img src=x onerror="alert(1)">`
		d.Support = `<i>help</i>`
		d.Label = `<u>"mine"</u>`
		d.Application = `<app>`
	}
	for _, e := range []string{EventPasswordChanged, "login_alert_sent", "app_password_expiry_warning_sent", "account_locked"} {
		with(e, "hostile", hostile)
	}
	return out
}

// checked lists the golden files TestRenderGolden compared.
var checked map[string]bool

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	checked[name] = true
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v (run with -update to create it)", name, err)
		return
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n%s", name, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines of want and got that differ, by line number.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n- " + a + "\n+ " + c + "\n")
		}
	}
	return b.String()
}
