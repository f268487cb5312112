package store

import (
	"varco.dev/varco"
	"varco.dev/varco/internal/text"
)

// The store's last line for free text that is only recorded: whatever a
// caller forgot to repair (internal/text is the rule at the boundary), an
// event, a session or a login flow is written with its free-text fields
// repaired and capped, so that PostgreSQL never refuses one — a refused
// login_failed would roll back the failure it counts.
const (
	maxIPText       = 64
	maxShortText    = 64
	maxLocationText = 200
	maxDetailText   = 2000
)

// repairEvent makes e's free-text fields storable. AppendEvent calls it
// before hashing, so the chain covers what is stored.
func repairEvent(e *varco.Event) {
	e.IP = text.Record(e.IP, maxIPText)
	e.Location = text.Record(e.Location, maxLocationText)
	e.UserAgent = text.Record(e.UserAgent, text.MaxUserAgent)
	e.Application = text.Record(e.Application, maxShortText)
	e.Detail = text.Record(e.Detail, maxDetailText)
}
