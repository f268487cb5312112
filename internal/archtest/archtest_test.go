// Package archtest checks which internal package may import which
// (docs/architecture.md, "Who imports whom").
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "varco.dev/varco"

// pkg is what go list -json says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
}

// graph lists every package of the module (not its tests) with its direct
// imports inside the module, by path relative to the module root.
func graph(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	g := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		var deps []string
		for _, imp := range p.Imports {
			if rel, ok := relative(imp); ok {
				deps = append(deps, rel)
			}
		}
		rel, _ := relative(p.ImportPath)
		g[rel] = deps
	}
	return g
}

func relative(path string) (string, bool) {
	if path == module {
		return ".", true
	}
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

// rule forbids the packages matched by from to import to directly.
type rule struct {
	from func(string) bool
	to   string
	why  string
}

func is(names ...string) func(string) bool {
	return func(p string) bool {
		for _, n := range names {
			if p == n {
				return true
			}
		}
		return false
	}
}

// wiring is what may import the HTTP layers: the app that builds them and
// the commands.
func wiring(p string) bool { return p == "internal/app" || strings.HasPrefix(p, "cmd/") }

var rules = []rule{
	{is("internal/store"), "internal/notify", "the store knows rows (store.Message), not how they are rendered or sent"},
	{is("internal/config"), "internal/sms", "config checks a URL's shape; app builds the sender"},
	{is("internal/admin"), "internal/auth", "admin needs the mailer (notify) and reset links (recovery), not the sign-in"},
	{is("internal/jobs"), "internal/auth", "jobs needs the mailer (notify), not the sign-in"},
	{is("internal/stepup"), "internal/auth", "step-up is below the sign-in that uses it"},
	{is("internal/recovery"), "internal/auth", "recovery reaches the sign-in through recovery.Accounts, which app passes in"},
	{is("internal/auth"), "internal/recovery", "the sign-in reaches resets through auth.Resets, which app sets: neither service imports the other"},
	{is("internal/push"), "internal/auth", "push verification is below the sign-in that uses it"},
	{func(p string) bool { return !wiring(p) }, "internal/web", "only app and cmd wire the pages"},
	{func(p string) bool { return !wiring(p) }, "internal/api", "only app and cmd wire the API"},
}

// leaves import nothing of varco's, so that every package may use them.
var leaves = map[string]string{
	"internal/versioned": "the versioned cache is used by services at every layer",
}

// check returns one line per import of g that a rule forbids.
func check(g map[string][]string) []string {
	var bad []string
	for p, deps := range g {
		for _, d := range deps {
			if why, ok := leaves[p]; ok {
				bad = append(bad, p+" imports "+d+": "+why)
			}
			for _, r := range rules {
				if d == r.to && r.from(p) {
					bad = append(bad, p+" imports "+d+": "+r.why)
				}
			}
		}
	}
	return bad
}

func TestImports(t *testing.T) {
	g := graph(t)
	for _, want := range []string{"internal/store", "internal/notify", "internal/auth", "internal/stepup", "internal/recovery", "internal/web", "internal/app", "internal/versioned"} {
		if _, ok := g[want]; !ok {
			t.Fatalf("go list did not list %s: %v", want, g)
		}
	}
	for _, b := range check(g) {
		t.Error(b)
	}
}

// TestRulesCatch: each rule finds the import it forbids, so a rule that
// stopped matching (a renamed package) fails here.
func TestRulesCatch(t *testing.T) {
	for _, tt := range []struct{ from, to string }{
		{"internal/store", "internal/notify"},
		{"internal/config", "internal/sms"},
		{"internal/admin", "internal/auth"},
		{"internal/jobs", "internal/auth"},
		{"internal/stepup", "internal/auth"},
		{"internal/recovery", "internal/auth"},
		{"internal/auth", "internal/recovery"},
		{"internal/auth", "internal/web"},
		{"internal/jobs", "internal/api"},
		{"internal/web", "internal/api"},
		{"internal/versioned", "internal/store"},
		{"internal/versioned", "."},
	} {
		if bad := check(map[string][]string{tt.from: {tt.to}}); len(bad) != 1 {
			t.Errorf("%s → %s: %v", tt.from, tt.to, bad)
		}
	}
	for _, tt := range []struct{ from, to string }{
		{"internal/app", "internal/web"},
		{"cmd/varco", "internal/api"},
		{"internal/notify", "internal/store"},
		{"internal/auth", "internal/stepup"},
		{"internal/recovery", "internal/stepup"},
		{"internal/admin", "internal/recovery"},
		{"internal/auth", "internal/versioned"},
		{"internal/apppassword", "internal/versioned"},
	} {
		if bad := check(map[string][]string{tt.from: {tt.to}}); len(bad) != 0 {
			t.Errorf("%s → %s refused: %v", tt.from, tt.to, bad)
		}
	}
}
