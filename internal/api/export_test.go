package api

import "net/http"

// RegisterStaffUnguarded adds every staff route of the table to mux with no
// access check at all, as a route registered with the wrong level would be,
// and returns their patterns.
func (s *Server) RegisterStaffUnguarded(mux *http.ServeMux) []string {
	var out []string
	for _, rt := range routes {
		if rt.auth != staff {
			continue
		}
		h := func(w http.ResponseWriter, r *http.Request) { rt.handler(s, w, r) }
		mux.HandleFunc(rt.pattern, h)
		out = append(out, rt.pattern)
	}
	return out
}
