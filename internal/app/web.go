package app

import "net/http"

// registerWeb adds the server-rendered pages.
func (a *App) registerWeb(mux *http.ServeMux) {}
