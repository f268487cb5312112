package i18n

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// messages reads a language's file as key → forms ("other" for a plain text).
func messages(t *testing.T, lang string) map[string]map[string]string {
	t.Helper()
	b, err := fs.ReadFile(localeFS, "locales/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	out := map[string]map[string]string{}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = map[string]string{"other": s}
			continue
		}
		var forms map[string]string
		if err := json.Unmarshal(v, &forms); err != nil {
			t.Fatalf("%s.json: key %q is neither a text nor plural forms: %v", lang, k, err)
		}
		out[k] = forms
	}
	return out
}

// TestCatalogueLoads: both files parse with go-i18n and hold the same keys.
func TestCatalogueLoads(t *testing.T) {
	if _, err := load(); err != nil {
		t.Fatal(err)
	}
	if it, en := Keys(IT), Keys(EN); !slices.Equal(it, en) {
		t.Errorf("it has %d keys, en has %d", len(it), len(en))
	}
}

// TestKeyInOneLanguageOnly: a key missing from a language fails, whichever
// language it is missing from; so does an empty text.
func TestKeyInOneLanguageOnly(t *testing.T) {
	all := map[string]map[string]map[string]string{}
	for _, l := range Langs {
		all[l] = messages(t, l)
	}
	for _, a := range Langs {
		for _, b := range Langs {
			for key := range all[a] {
				if _, ok := all[b][key]; !ok {
					t.Errorf("key %q is in %s.json but not in %s.json", key, a, b)
				}
			}
		}
		for key, forms := range all[a] {
			if strings.TrimSpace(forms["other"]) == "" {
				t.Errorf("%s.json: key %q has no text (or no \"other\" form)", a, key)
			}
		}
	}
}

// TestParseRefusesBrokenFile: the loader reports a file go-i18n cannot read,
// and a language whose file is missing.
func TestParseRefusesBrokenFile(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"broken json": {"locales/it.json": {Data: []byte(`{"a": `)}, "locales/en.json": {Data: []byte(`{"a": "b"}`)}},
		"missing it":  {"locales/en.json": {Data: []byte(`{"a": "b"}`)}},
	} {
		if _, err := parse(fsys); err == nil {
			t.Errorf("%s: parse succeeded", name)
		}
	}
}

// verbs lists the printf verbs of s, in order, with explicit indexes.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*[a-zA-Z%]`)

// TestFormatArgumentsMatch: a key takes the same printf verbs in every
// language (as a set: a translation may reorder with %[n]s), so that a
// translation cannot drop an argument. A plural form may leave out the
// count ("the last one").
func TestFormatArgumentsMatch(t *testing.T) {
	set := func(s string) string {
		v := verbRE.FindAllString(s, -1)
		slices.Sort(v)
		return strings.Join(v, ",")
	}
	it, en := messages(t, IT), messages(t, EN)
	for key, forms := range it {
		if a, b := set(forms["other"]), set(en[key]["other"]); a != b {
			t.Errorf("key %q: it uses %q, en uses %q", key, a, b)
		}
	}
}

// TestPluralsFollowCLDR: the plural form is chosen by the language's CLDR
// rule, with the count shown where the form has a verb.
func TestPluralsFollowCLDR(t *testing.T) {
	tests := []struct {
		lang, key string
		n         int
		want      string
	}{
		{IT, "duration.seconds", 1, "1 secondo"},
		{IT, "duration.seconds", 0, "0 secondi"},
		{IT, "duration.seconds", 2, "2 secondi"},
		{EN, "duration.seconds", 1, "1 second"},
		{EN, "duration.seconds", 21, "21 seconds"},
		{IT, "policy.history", 1, "l'ultima"},
		{IT, "policy.history", 3, "le ultime 3"},
		{EN, "policy.history", 1, "the last one"},
		{IT, "nope.missing", 1, "[[nope.missing]]"},
	}
	for _, tt := range tests {
		if got := N(tt.lang, tt.key, tt.n); got != tt.want {
			t.Errorf("N(%s, %s, %d) = %q, want %q", tt.lang, tt.key, tt.n, got, tt.want)
		}
	}
	if got := T("fr", "lang.it"); got != "Italian" && got != T(EN, "lang.it") {
		t.Errorf("an unknown language should read English, got %q", got)
	}
	if got := T(IT, "no.such.key"); got != "[[no.such.key]]" {
		t.Errorf("missing key = %q", got)
	}
}

func TestMatchAcceptLanguage(t *testing.T) {
	tests := []struct{ header, fallback, want string }{
		{"", IT, IT},
		{"", EN, EN},
		{"en-US,en;q=0.9", IT, EN},
		{"it-IT", EN, IT},
		{"fr", EN, EN},
		{"fr", IT, IT},
		{"de;q=0.9, it;q=0.5", EN, IT},
		{";;;", EN, EN},
		{strings.Repeat("en,", 300), IT, IT},
	}
	for _, tt := range tests {
		if got := MatchAcceptLanguage(tt.header, tt.fallback); got != tt.want {
			t.Errorf("MatchAcceptLanguage(%q, %s) = %s, want %s", tt.header, tt.fallback, got, tt.want)
		}
	}
}

func FuzzMatchAcceptLanguage(f *testing.F) {
	for _, s := range []string{"", "it", "en-GB;q=0.8, it", "*", "x-\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if got := MatchAcceptLanguage(header, IT); got != IT && got != EN {
			t.Fatalf("MatchAcceptLanguage(%q) = %q", header, got)
		}
	})
}

// TestNamedArgumentsMatch: a key names the same {placeholders} in every
// language, so that a translation cannot drop an argument; a plural form
// may leave out {count} ("tomorrow") but name nothing its "other" lacks.
func TestNamedArgumentsMatch(t *testing.T) {
	set := func(s string) []string {
		p := Placeholders(s)
		slices.Sort(p)
		return slices.Compact(p)
	}
	all := map[string]map[string]map[string]string{}
	for _, l := range Langs {
		all[l] = messages(t, l)
	}
	for key, forms := range all[IT] {
		if a, b := set(forms["other"]), set(all[EN][key]["other"]); !slices.Equal(a, b) {
			t.Errorf("key %q: it names %v, en names %v", key, a, b)
		}
	}
	for _, l := range Langs {
		for key, forms := range all[l] {
			other := set(forms["other"])
			for form, text := range forms {
				for _, p := range set(text) {
					if !slices.Contains(other, p) {
						t.Errorf("%s.json: key %q form %q names {%s}, its \"other\" form does not", l, key, form, p)
					}
				}
			}
		}
	}
}

func TestFill(t *testing.T) {
	esc := func(s string) string { return strings.ReplaceAll(s, "<", "&lt;") }
	tests := []struct {
		text string
		args map[string]string
		esc  func(string) string
		want string
	}{
		{"account {email} changed.", map[string]string{"email": "a@b.it"}, nil, "account a@b.it changed."},
		{"account {email}.", map[string]string{"email": ""}, nil, "account."},
		{"account {email} changed.", map[string]string{"email": ""}, nil, "account changed."},
		{"{a}{b} {a}", map[string]string{"a": "1", "b": "2"}, nil, "12 1"},
		{"not {A} nor {} nor {x", nil, nil, "not {A} nor {} nor {x"},
		{"<b>{v}</b>", map[string]string{"v": "<i>"}, esc, "&lt;b><i>&lt;/b>"},
	}
	for _, tt := range tests {
		got, err := Fill(tt.text, tt.args, tt.esc)
		if err != nil || got != tt.want {
			t.Errorf("Fill(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
	if _, err := Fill("hello {name}", nil, nil); err == nil {
		t.Error("Fill without the argument succeeded")
	}
	if got := Placeholders("{a} {b_2} {C} {a}"); !slices.Equal(got, []string{"a", "b_2", "a"}) {
		t.Errorf("Placeholders = %v", got)
	}
}

func TestNamed(t *testing.T) {
	one, five := 1, 5
	if got, err := Named(IT, "duration.seconds", &five, nil, nil); err != nil || got != "%d secondi" {
		// duration.seconds is a printf text: Named leaves its verb alone.
		t.Errorf("Named(duration.seconds) = %q, %v", got, err)
	}
	if got, err := Named(EN, "policy.history", &one, nil, nil); err != nil || got != "the last one" {
		t.Errorf("Named(policy.history, 1) = %q, %v", got, err)
	}
	if _, err := Named(IT, "no.such.key", nil, nil, nil); err == nil {
		t.Error("Named of a missing key succeeded")
	}
	if _, err := Named("fr", "policy.history", &one, nil, nil); err == nil {
		t.Error("Named in a language the catalogue lacks succeeded")
	}
}
