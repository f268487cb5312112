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

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
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
