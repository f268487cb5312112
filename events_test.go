package varco

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestEventRegistry: every event has one entry, a name of the contract's
// shape and a label in both languages.
func TestEventRegistry(t *testing.T) {
	name := regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	seen := map[string]bool{}
	for _, e := range Events() {
		if seen[e.Name] {
			t.Errorf("%s is registered twice", e.Name)
		}
		seen[e.Name] = true
		if !name.MatchString(e.Name) {
			t.Errorf("%q is not an event name", e.Name)
		}
		if strings.TrimSpace(e.IT) == "" || strings.TrimSpace(e.EN) == "" || e.IT == e.EN {
			t.Errorf("%s: labels it %q, en %q", e.Name, e.IT, e.EN)
		}
		if got, ok := LookupEvent(e.Name); !ok || got != e {
			t.Errorf("LookupEvent(%s) = %+v, %v", e.Name, got, ok)
		}
	}
	if _, ok := LookupEvent("brand_new_event"); ok {
		t.Error("an unknown event was found")
	}
}

// TestEveryEventIsRegisteredAndEmitted reads the source: every Event*
// constant is in the registry, and every registered event is recorded by
// some code outside the tests, so the registry lists exactly what the
// history can hold.
func TestEveryEventIsRegisteredAndEmitted(t *testing.T) {
	fset := token.NewFileSet()
	consts := map[string]string{} // Go name → event name
	roots, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range roots {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Event") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[n.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	if len(consts) < 20 {
		t.Fatalf("found only %d Event constants", len(consts))
	}
	used := map[string]bool{}
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
				strings.Contains(path, "testenv") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "varco" && strings.HasPrefix(sel.Sel.Name, "Event") {
						used[sel.Sel.Name] = true
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for goName, name := range consts {
		if _, ok := LookupEvent(name); !ok {
			t.Errorf("%s (%q) is not in the event registry", goName, name)
		}
	}
	byName := map[string]string{}
	for goName, name := range consts {
		byName[name] = goName
	}
	for _, e := range Events() {
		goName, ok := byName[e.Name]
		if !ok {
			t.Errorf("registered event %q has no Event constant", e.Name)
			continue
		}
		if !used[goName] {
			t.Errorf("registered event %q (%s) is recorded by no code", e.Name, goName)
		}
	}
}
