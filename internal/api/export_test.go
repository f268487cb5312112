package api

import (
	"context"
	"net/http"
	"time"
)

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

// DeviceStreamUpdate is what the event stream of the device with token
// writes when it reads the device's requests now, having sent ids as
// pending: a "request" for each new pending one and a "closed" for each
// of ids gone. A test reads so a stream that reads after a change it
// would race with on a live connection.
func (s *Server) DeviceStreamUpdate(ctx context.Context, token string, ids ...string) (string, error) {
	_, items, err := s.Auth.DevicePending(ctx, token)
	if err != nil {
		return "", err
	}
	d := &deviceStream{s: s, token: token, known: map[string]time.Time{}}
	for _, id := range ids {
		d.known[id] = time.Time{}
	}
	return string(d.update(ctx, items)), nil
}
