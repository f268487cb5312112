package varco

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"varco.dev/varco/internal/i18n"
)

// Applications that sit behind varco (SPEC §1): each has an id (what
// POST /api/v1/login's `app` names and the history records), a display
// name in each language (what a push request and an e-mail show) and the
// return_to URL prefixes varco's sign-in pages may send the browser back
// to.

// Application ids varco knows without configuration.
const (
	AppWebmail           = "webmail"
	AppCustomerArea      = "customer_area"
	AppSupportPortal     = "support_portal"
	AppAccountManagement = "account_management"
	AppMailPanel         = "mail_panel"
	AppAuthenticator     = "authenticator"
	// AppAPI is what a POST /api/v1/login without `app` is recorded as; no
	// client names it.
	AppAPI = "api"
)

// EUnknownApplication: POST /api/v1/login (or the sign-in page) named an
// application that is not configured (400).
const EUnknownApplication = "unknown_application"

// MaxReturnToLen bounds a return_to URL.
const MaxReturnToLen = 2048

// Application is one application behind varco.
type Application struct {
	ID string
	// Names are the display names by language (it, en); a missing one
	// falls back to the catalogue's appname.ID, then to the other
	// language, then to the id.
	Names map[string]string
	// ReturnTo are the URL prefixes (scheme, host and path) the sign-in
	// pages may return the browser to after a sign-in to this
	// application; none means always varco's own page.
	ReturnTo []string
}

// Applications is the configured list of applications.
type Applications struct {
	byID  map[string]*Application
	order []string
}

var appID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ValidApplicationID reports whether s has the shape of an application id.
func ValidApplicationID(s string) bool { return appID.MatchString(s) }

// DefaultApplicationIDs are the applications every varco knows (SPEC §1).
var DefaultApplicationIDs = []string{AppWebmail, AppCustomerArea, AppSupportPortal, AppAccountManagement, AppMailPanel, AppAuthenticator}

// NewApplications returns the default applications with extra merged in:
// an entry with a default id sets that application's names (when given)
// and return_to prefixes; any other id adds an application, which needs
// its Italian and English names. Every id and prefix is checked.
func NewApplications(extra []Application) (*Applications, error) {
	r := &Applications{byID: map[string]*Application{}}
	for _, id := range DefaultApplicationIDs {
		r.byID[id] = &Application{ID: id, Names: map[string]string{}}
		r.order = append(r.order, id)
	}
	for _, a := range extra {
		if !ValidApplicationID(a.ID) || a.ID == AppAPI {
			return nil, fmt.Errorf("application %q: an id is a lowercase letter, then up to 39 lowercase letters, digits or _ (not %q)", a.ID, AppAPI)
		}
		cur, known := r.byID[a.ID]
		if !known {
			for _, lang := range []string{i18n.IT, i18n.EN} {
				if strings.TrimSpace(a.Names[lang]) == "" {
					return nil, fmt.Errorf("application %q: needs a display name in %q", a.ID, lang)
				}
			}
			cur = &Application{ID: a.ID, Names: map[string]string{}}
			r.byID[a.ID] = cur
			r.order = append(r.order, a.ID)
		}
		for lang, n := range a.Names {
			if lang != i18n.IT && lang != i18n.EN {
				return nil, fmt.Errorf("application %q: display name language %q: want it or en", a.ID, lang)
			}
			n = strings.TrimSpace(n)
			if n == "" || len(n) > 80 || strings.ContainsFunc(n, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
				return nil, fmt.Errorf("application %q: display name %q: want 1 to 80 printable characters", a.ID, n)
			}
			cur.Names[lang] = n
		}
		for _, p := range a.ReturnTo {
			norm, err := normalizeReturnPrefix(p)
			if err != nil {
				return nil, fmt.Errorf("application %q: return_to prefix %q: %w", a.ID, p, err)
			}
			if !slices.Contains(cur.ReturnTo, norm) {
				cur.ReturnTo = append(cur.ReturnTo, norm)
			}
		}
	}
	return r, nil
}

var defaultApplications = func() *Applications {
	r, err := NewApplications(nil)
	if err != nil {
		panic(err)
	}
	return r
}()

// DefaultApplications returns the applications of a varco without
// configuration.
func DefaultApplications() *Applications { return defaultApplications }

func (r *Applications) registry() *Applications {
	if r == nil {
		return defaultApplications
	}
	return r
}

// Lookup returns the application with id.
func (r *Applications) Lookup(id string) (*Application, bool) {
	a, ok := r.registry().byID[id]
	return a, ok
}

// IDs returns the applications' ids, defaults first, in configuration
// order.
func (r *Applications) IDs() []string { return slices.Clone(r.registry().order) }

// Name is the display name of application id in lang: the configured
// name, else the catalogue's appname.ID, else the other language's
// configured name, else the id itself (an application recorded before it
// was removed from the configuration).
func (r *Applications) Name(id, lang string) string {
	if a, ok := r.registry().byID[id]; ok {
		if n := a.Names[lang]; n != "" {
			return n
		}
	}
	if i18n.Has("appname." + id) {
		return i18n.T(lang, "appname."+id)
	}
	if a, ok := r.registry().byID[id]; ok {
		for _, l := range []string{i18n.EN, i18n.IT} {
			if n := a.Names[l]; n != "" {
				return n
			}
		}
	}
	return id
}

// ReturnTo returns raw when it is a URL the sign-in pages may send the
// browser to after a sign-in to application id: under one of the
// application's prefixes, with exactly the prefix's scheme and host.
// Anything else — an unknown application, userinfo, a backslash, a
// scheme-relative or relative URL, another scheme, host or port, a
// percent-encoded slash, backslash or dot segment, a control, space or
// non-ASCII character — is refused ("", false).
func (r *Applications) ReturnTo(id, raw string) (string, bool) {
	a, ok := r.Lookup(id)
	if !ok || len(a.ReturnTo) == 0 {
		return "", false
	}
	u, ok := parseReturnURL(raw)
	if !ok {
		return "", false
	}
	for _, p := range a.ReturnTo {
		pu, err := url.Parse(p)
		if err != nil {
			continue
		}
		if u.Scheme != pu.Scheme || u.Host != pu.Host {
			continue
		}
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		pp := pu.EscapedPath()
		if path == pp || strings.HasPrefix(path, strings.TrimSuffix(pp, "/")+"/") {
			return raw, true
		}
	}
	return "", false
}

// parseReturnURL parses an absolute http(s) URL of printable ASCII
// without userinfo, backslashes, encoded separators or dot segments, and
// lowercases nothing: the caller compares scheme and host as written,
// which parseReturnURL requires in lower case.
func parseReturnURL(raw string) (*url.URL, bool) {
	if raw == "" || len(raw) > MaxReturnToLen {
		return nil, false
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return nil, false
		}
	}
	if !strings.HasPrefix(raw, "https://") && !strings.HasPrefix(raw, "http://") {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || strings.ContainsAny(u.Host, "@%") {
		return nil, false
	}
	if strings.HasPrefix(u.Path, "//") {
		return nil, false
	}
	// Percent-encoded separators and dot segments mean something else to
	// the application's router or the browser than to a prefix match.
	lower := strings.ToLower(u.EscapedPath())
	for _, bad := range []string{"%2f", "%5c", "%2e", "%00", "%25"} {
		if strings.Contains(lower, bad) {
			return nil, false
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, false
		}
	}
	return u, true
}

// normalizeReturnPrefix checks a configured prefix and returns it in the
// form ReturnTo compares: lowercase scheme and host, a path ("/" at
// least), no query, fragment or userinfo.
func normalizeReturnPrefix(p string) (string, error) {
	u, err := url.Parse(p)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("want http(s)://host[:port]/path")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("a prefix has no query or fragment")
	}
	if u.Host != strings.ToLower(u.Host) || strings.ContainsAny(u.Host, "@%\\") {
		return "", fmt.Errorf("write the host in lower case")
	}
	if u.Path == "" {
		u.Path = "/"
	}
	norm := u.Scheme + "://" + u.Host + u.EscapedPath()
	if _, ok := parseReturnURL(norm); !ok {
		return "", fmt.Errorf("the path has characters a prefix may not have")
	}
	return norm, nil
}
