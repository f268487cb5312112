package app

import (
	"net/http"

	"varco.dev/varco/internal/web"
)

// registerWeb adds the server-rendered pages (SPEC §9 "Web UI").
func (a *App) registerWeb(mux *http.ServeMux) {
	web.New(web.Deps{Auth: a.Auth, Recovery: a.Recovery, Admin: a.Admin, AppPasswords: a.AppPasswords, DB: a.DB, Proxies: a.Cfg.TrustedProxies,
		SecureCookies: a.Cfg.SecureCookies(), Dev: a.Cfg.Dev, Log: a.Log, Clock: a.Clock, PushRecheck: a.pushRecheck}).Register(mux)
}
