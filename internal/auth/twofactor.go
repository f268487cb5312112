package auth

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/push"
)

// TwoFactorStatus is the account's 2-step verification as its profile
// page shows it (SPEC §6).
type TwoFactorStatus struct {
	Enabled bool
	// The device, when Enabled: push.KindCLI or push.KindWebAuthn, and
	// when it was enrolled.
	Kind       string
	EnrolledAt time.Time
	// RecoveryCodesLeft counts the recovery codes not spent yet.
	RecoveryCodesLeft int
}

// TwoFactor reads the account's 2-step verification: off, or its device
// and how many recovery codes are left.
func (s *Service) TwoFactor(ctx context.Context, a *varco.Account) (*TwoFactorStatus, error) {
	q := s.read()
	d, err := q.PushDevice(ctx, a.ID)
	if varco.IsCode(err, varco.ENotFound) {
		return &TwoFactorStatus{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("2-step verification: %w", err)
	}
	n, err := q.UnusedRecoveryCodes(ctx, a.ID)
	if err != nil {
		return nil, fmt.Errorf("2-step verification: %w", err)
	}
	return &TwoFactorStatus{Enabled: true, Kind: d.Kind, EnrolledAt: d.CreatedAt, RecoveryCodesLeft: n}, nil
}

// Approval is an account-management push request (turning 2-step
// verification off) as its waiting page shows it.
type Approval struct {
	// State is push.StatusPending, StatusApproved, StatusDenied (denied
	// or reported as "it wasn't me") or StatusExpired.
	State     string
	Number    string
	ExpiresAt time.Time
}

// AccountApproval reads, without changing anything, the request id of
// purpose the account started: push_not_found for an unknown id, another
// account's request or another purpose's. A pending request past its
// expiry reads as expired.
func (s *Service) AccountApproval(ctx context.Context, a *varco.Account, purpose, id string) (*Approval, error) {
	r, err := s.read().PushRequestByPublicID(ctx, id)
	if varco.IsCode(err, varco.ENotFound) || (err == nil && (r.AccountID != a.ID || r.Purpose != purpose)) {
		return nil, varco.E(varco.EPushNotFound, "error.push_not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("approval: %w", err)
	}
	ap := &Approval{State: r.Status, Number: r.Number, ExpiresAt: r.ExpiresAt}
	switch {
	case r.Status == push.StatusReported:
		ap.State = push.StatusDenied
	case r.Status == push.StatusPending && !s.clock.Now().Before(r.ExpiresAt):
		ap.State = push.StatusExpired
	}
	return ap, nil
}
