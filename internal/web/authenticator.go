package web

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"varco.dev/varco/internal/i18n"
)

// The authenticator web app (SPEC §6.1, §6.6, §6.7) at /authenticator: a
// server-rendered shell in the reader's language and a small script that
// enrolls a WebAuthn platform credential, lists the device's pending
// requests from its event stream and answers them with assertions. A web
// app manifest and a service worker (scope /authenticator) make it
// installable; the worker also shows Web Push notifications. The app talks
// to the JSON API only, with the device token it keeps in the browser.

//go:embed static/authenticator.js
var authenticatorJS []byte

//go:embed static/authenticator-sw.js
var authenticatorSW []byte

//go:embed static/icon-192.png
var icon192 []byte

//go:embed static/icon-512.png
var icon512 []byte

var authenticatorJSVersion = version(authenticatorJS)

func version(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// AuthenticatorScope is the service worker's scope: the app and nothing
// else of the site.
const AuthenticatorScope = "/authenticator"

// authenticatorStrings are the catalogue texts the script shows, besides
// every application's name (appname.*).
var authenticatorStrings = []string{
	"authenticator.approved", "authenticator.denied", "authenticator.reported", "authenticator.expired",
	"authenticator.enrolling", "authenticator.enrolled", "authenticator.signed_out", "authenticator.failed",
	"authenticator.unsupported", "authenticator.purpose_disable", "authenticator.purpose_replace", "authenticator.purpose_recovery_codes", "authenticator.confirming",
	"authenticator.number_missing", "authenticator.offline", "authenticator.replace_denied", "authenticator.replace_expired",
	"authenticator.approved_replace", "authenticator.replaced",
}

type authenticatorData struct {
	Strings map[string]string
	Script  string
}

// authenticatorPage is GET /authenticator: the app's shell.
func (h *Handler) authenticatorPage(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "authenticator.title", "authenticator")
	s := map[string]string{}
	for _, k := range authenticatorStrings {
		s[k] = p.T(k)
	}
	for _, k := range i18n.Keys(p.Lang) {
		if strings.HasPrefix(k, "appname.") {
			s[k] = p.T(k)
		}
	}
	p.Data = authenticatorData{Strings: s, Script: "/authenticator/app.js?v=" + authenticatorJSVersion}
	h.render(w, r, http.StatusOK, "authenticator", p)
}

// authenticatorScript is the app's script, cached for good under its
// versioned URL.
func (h *Handler) authenticatorScript(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, "text/javascript; charset=utf-8", cacheForGood, `"`+authenticatorJSVersion+`"`, authenticatorJS)
}

// authenticatorWorker is the service worker. Its URL is fixed and it is
// never cached, so a new version is picked up at once; it may control
// /authenticator itself, one level above its own path.
func (h *Handler) authenticatorWorker(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Service-Worker-Allowed", AuthenticatorScope)
	_, _ = w.Write(authenticatorSW)
}

type manifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type"`
	Purpose string `json:"purpose"`
}

type manifest struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	ShortName       string         `json:"short_name"`
	Description     string         `json:"description"`
	Lang            string         `json:"lang"`
	StartURL        string         `json:"start_url"`
	Scope           string         `json:"scope"`
	Display         string         `json:"display"`
	BackgroundColor string         `json:"background_color"`
	ThemeColor      string         `json:"theme_color"`
	Icons           []manifestIcon `json:"icons"`
}

// authenticatorManifest is the web app manifest, in the reader's language.
func (h *Handler) authenticatorManifest(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r, nil)
	m := manifest{ID: AuthenticatorScope, Name: translate(lang, "authenticator.app_name"), ShortName: translate(lang, "authenticator.short_name"),
		Description: translate(lang, "authenticator.description"), Lang: lang, StartURL: AuthenticatorScope, Scope: AuthenticatorScope,
		Display: "standalone", BackgroundColor: "#ffffff", ThemeColor: "#1d4ed8",
		Icons: []manifestIcon{
			{Src: "/authenticator/icon-192.png", Sizes: "192x192", Type: "image/png", Purpose: "any"},
			{Src: "/authenticator/icon-512.png", Sizes: "512x512", Type: "image/png", Purpose: "any"},
		}}
	b, err := json.Marshal(m)
	if err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/manifest+json")
	hd.Set("Cache-Control", "no-cache")
	hd.Add("Vary", "Cookie, Accept-Language")
	_, _ = w.Write(b)
}

func (h *Handler) authenticatorIcon(b []byte) http.HandlerFunc {
	etag := `"` + version(b) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		serveAsset(w, r, "image/png", "public, max-age=86400", etag, b)
	}
}
