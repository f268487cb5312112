package httpx

import (
	"net/http"
	"strings"
)

// SessionCookie is the name of the session cookie shared by the web pages
// and the API.
const SessionCookie = "varco_session"

// SecurityHeaders sets the headers every response carries: a strict CSP (no
// inline script, no framing), no sniffing, no referrer, and HSTS when the
// service is served over HTTPS.
func SecurityHeaders(hsts bool, next http.Handler) http.Handler {
	set := securityHeaders
	if hsts {
		set = append(set[:len(set):len(set)], header{"Strict-Transport-Security", []string{"max-age=63072000; includeSubDomains"}})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The values are built once and shared by every response: each is
		// a slice of length and capacity 1, so a later Set replaces it and
		// an Add copies it. Header.Set would canonicalize the names and
		// allocate the slices again on every request.
		for _, hd := range set {
			h[hd.name] = hd.value
		}
		next.ServeHTTP(w, r)
	})
}

type header struct {
	name  string // canonical form
	value []string
}

var securityHeaders = []header{
	{"Content-Security-Policy", []string{"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
}

// SessionToken returns the session token of a request: the Bearer token of
// an API client, else the session cookie of a browser.
func SessionToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// SetSessionCookie gives a browser its session cookie: HttpOnly,
// SameSite=Lax, and Secure unless secure is false (dev mode over http).
func SetSessionCookie(w http.ResponseWriter, token string, maxAge int, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}
