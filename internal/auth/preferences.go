package auth

import (
	"context"
	"fmt"

	"varco.dev/varco"
)

// SetLanguage sets the language of a's pages, e-mails, SMS, alerts and API
// messages (SPEC §1): "it" or "en", else invalid_request. It returns the
// updated account.
func (s *Service) SetLanguage(ctx context.Context, a *varco.Account, lang string) (*varco.Account, error) {
	if !varco.ValidLang(lang) {
		return nil, varco.E(varco.EInvalid, "error.language")
	}
	if err := s.db.SetAccountLanguage(ctx, a.ID, lang); err != nil {
		return nil, fmt.Errorf("set language: %w", err)
	}
	return s.db.AccountByID(ctx, a.ID)
}

// SetTimeZone sets the IANA time zone a's times are shown in (SPEC §3),
// or "" to follow the organization's; a name time.LoadLocation does not
// know is invalid_request. It returns the updated account.
func (s *Service) SetTimeZone(ctx context.Context, a *varco.Account, zone string) (*varco.Account, error) {
	if zone != "" {
		if _, err := varco.LoadTimeZone(zone); err != nil {
			return nil, err
		}
	}
	if err := s.db.SetAccountTimeZone(ctx, a.ID, zone); err != nil {
		return nil, fmt.Errorf("set time zone: %w", err)
	}
	return s.db.AccountByID(ctx, a.ID)
}
