package httpx

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"varco.dev/varco/internal/text"
)

// UserAgent is the request's User-Agent as it may be recorded: repaired and
// capped by text.Record, never refused. Every handler reads it here.
func UserAgent(r *http.Request) string {
	return text.Record(r.UserAgent(), text.MaxUserAgent)
}

// CheckValues applies text.Check to every name and value of a query string
// or a form, naming the first bad one (in name order, so the answer does not
// depend on map order).
func CheckValues(v url.Values) error {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := text.Check("parameter name", k); err != nil {
			return err
		}
		for _, s := range v[k] {
			if err := text.Check(k, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckURL refuses, before any handler sees it, a request whose decoded path
// or query string holds invalid UTF-8 or NUL (invalid_input naming "path" or
// the parameter): path values and query parameters are read in many
// handlers, and none of them may reach the store. API paths answer the
// usual JSON error, pages a plain 400.
func CheckURL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := text.Check("path", r.URL.Path)
		if err == nil && r.URL.RawQuery != "" {
			err = CheckValues(r.URL.Query())
		}
		if err == nil {
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			WriteError(w, r, nil, err)
			return
		}
		http.Error(w, "Bad request: the address holds text that is not valid UTF-8 or a NUL character.", http.StatusBadRequest)
	})
}
