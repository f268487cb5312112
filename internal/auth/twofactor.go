package auth

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
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

// recoveryCollectWindow is how long after the request new recovery codes
// can be collected once the device approved: as for a replacement's
// approval, the approval is meant to be used at once.
const recoveryCollectWindow = 15 * time.Minute

// StartRecoveryCodes asks the device to approve new recovery codes
// (POST /me/two-factor/recovery-codes): the request's id and the number
// to type; two_factor_off without a device.
func (s *Service) StartRecoveryCodes(ctx context.Context, a *varco.Account, m Meta) (id, number string, err error) {
	id, number, err = s.startAccountPush(ctx, a, m, push.PurposeRecoveryCodes)
	if err != nil {
		return "", "", fmt.Errorf("new recovery codes: %w", err)
	}
	return id, number, nil
}

// RecoveryCodes is the outcome of a request for new recovery codes.
type RecoveryCodes struct {
	// State is approval_required (auth.EnrollApprovalRequired) while the
	// device has not answered, regenerated with Codes, push_denied or
	// expired.
	State     string
	ExpiresAt time.Time // of the request, while approval_required
	Codes     []string
}

// RecoveryCodesRegenerated is the state of a collected request.
const RecoveryCodesRegenerated = "regenerated"

// CollectRecoveryCodes is the account's collection of the request id of
// new recovery codes. Once the device approved it (a signed decision with
// the right number), the first collection replaces every recovery code
// with new ones, records recovery_codes_regenerated and answers the codes;
// they are never given again (push_not_found afterwards, as for an
// unknown id or another account's request). A denied or reported request
// is push_denied; one unanswered within 2 minutes, or approved but not
// collected within 15, expired; an approval by a device that is no
// longer the account's counts as expired too.
func (s *Service) CollectRecoveryCodes(ctx context.Context, a *varco.Account, id string, m Meta) (*RecoveryCodes, error) {
	now := s.clock.Now()
	m = repaired(m)
	var out *RecoveryCodes
	notFound := varco.E(varco.EPushNotFound, "error.push_not_found")
	err := s.inTx(ctx, func(q Store) error {
		r, err := q.PushRequestByPublicID(ctx, id)
		if varco.IsCode(err, varco.ENotFound) || (err == nil && (r.AccountID != a.ID || r.Purpose != push.PurposeRecoveryCodes)) {
			return notFound
		}
		if err != nil {
			return err
		}
		out = &RecoveryCodes{State: varco.StateExpired}
		switch r.Status {
		case push.StatusPending:
			pending, err := s.stillPending(ctx, q, a, r, now)
			if pending {
				out = &RecoveryCodes{State: EnrollApprovalRequired, ExpiresAt: r.ExpiresAt}
			}
			return err
		case push.StatusApproved:
			if !now.Before(r.CreatedAt.Add(recoveryCollectWindow)) {
				return nil
			}
			if ok, err := s.approvedByItsDevice(ctx, q, a, r); !ok || err != nil {
				return err
			}
			used, err := q.UseApprovedPushRequest(ctx, r.ID)
			if err != nil {
				return err
			}
			if !used {
				return notFound
			}
			codes, err := s.push.NewRecoveryCodes(ctx, q, a.ID)
			if err != nil {
				return err
			}
			m = s.located(m, a.Language())
			if err := q.AppendEvent(ctx, s.event(a, varco.EventRecoveryCodesRegenerated, varco.OutcomeSuccess, m, "approved on the device")); err != nil {
				return err
			}
			// A change to 2-step verification e-mails the user (SPEC §6.5).
			if err := s.mailer.Enqueue(ctx, q, a, varco.EventRecoveryCodesRegenerated, notify.Data{Time: now, IP: m.IP,
				Location: m.Location}); err != nil {
				return err
			}
			out = &RecoveryCodes{State: RecoveryCodesRegenerated, Codes: codes}
		case push.StatusDenied, push.StatusReported:
			out = &RecoveryCodes{State: varco.StatePushDenied}
		case push.StatusUsed:
			return notFound
		}
		return nil
	})
	if err != nil {
		if varco.IsCode(err, varco.EPushNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("collect recovery codes: %w", err)
	}
	return out, nil
}
