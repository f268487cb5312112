package recovery

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/stepup"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

// Contact verification (SPEC §1): a phone number is verified with a code
// sent to it by SMS, a contact e-mail with a link sent to it. Until then the
// account keeps its previous phone and contact e-mail.
const (
	// PhoneCodeTTL is how long a phone verification code works.
	PhoneCodeTTL = 10 * time.Minute
	// ContactEmailLinkTTL is how long a contact e-mail link works.
	ContactEmailLinkTTL = 24 * time.Hour
	// PhoneCodeAttempts wrong codes void a phone verification.
	PhoneCodeAttempts = 5
	// One verification per account and kind per VerificationInterval, at
	// most VerificationsPerDay in 24 hours (SPEC §5.9: 10 SMS a day).
	VerificationInterval = time.Minute
	VerificationsPerDay  = 10
)

// PathContactEmailVerify is the web page a contact e-mail link opens.
const PathContactEmailVerify = "/contact-email/verify"

// StartPhoneVerification sends a 6-digit code by SMS to phone to verify it
// as a's number. The number is normalised to E.164 first, one without its
// country code read as dialled in the account's organization's country
// (invalid_phone when it is not a valid number). It answers
// too_many_attempts with retry_after when a code was sent less than a
// minute ago or ten in the last 24 hours. The account's phone does not
// change until VerifyPhone.
func (s *Service) StartPhoneVerification(ctx context.Context, a *varco.Account, input string, m varco.Meta) error {
	country := varco.DefaultCountry
	if a.OrgID != 0 {
		org, err := s.read().OrgByID(ctx, a.OrgID)
		if err != nil {
			return fmt.Errorf("start phone verification: %w", err)
		}
		country = org.Country
	}
	phone, err := varco.NormalizePhone(input, country)
	if err != nil {
		return err
	}
	code, err := stepup.NewCode()
	if err != nil {
		return err
	}
	now := s.clock.Now()
	v := &store.ContactVerification{AccountID: a.ID, Kind: varco.VerifyPhone, Target: phone,
		SecretHash: phoneCodeHash(a.ID, phone, code), CreatedAt: now, ExpiresAt: now.Add(PhoneCodeTTL)}
	err = s.inTx(ctx, func(q Store) error {
		if err := s.checkVerificationSends(ctx, q, a.ID, varco.VerifyPhone, now); err != nil {
			return err
		}
		if err := q.CreateContactVerification(ctx, v); err != nil {
			return err
		}
		if err := q.AppendEvent(ctx, s.accounts.Event(a, varco.EventPhoneVerificationSent, varco.OutcomeSuccess, m,
			"to "+notify.MaskPhone(phone))); err != nil {
			return err
		}
		return s.mailer.EnqueueSMS(ctx, q, a, phone, notify.EventPhoneVerificationSent,
			notify.Data{Time: now, Code: code, ValidFor: PhoneCodeTTL})
	})
	if err != nil {
		return fmt.Errorf("start phone verification: %w", err)
	}
	return nil
}

// checkVerificationSends enforces the send limits of a kind for an account,
// holding the account's row lock so concurrent requests count one by one.
func (s *Service) checkVerificationSends(ctx context.Context, q Store, accountID int64, kind string, now time.Time) error {
	if err := q.LockAccountRow(ctx, accountID); err != nil {
		return err
	}
	sends, err := q.ContactVerificationSends(ctx, accountID, kind, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if sends.Count > 0 && now.Sub(sends.Newest) < VerificationInterval {
		return varco.TooManyAttempts(sends.Newest.Add(VerificationInterval).Sub(now))
	}
	count, oldest := sends.Count, sends.Oldest
	if kind == varco.VerifyPhone {
		// One SMS budget a day for the account, whatever the SMS is for.
		if count, oldest, err = stepup.SMSSentToday(ctx, q, accountID, now); err != nil {
			return err
		}
	}
	if count >= VerificationsPerDay {
		return varco.TooManyAttempts(oldest.Add(24 * time.Hour).Sub(now))
	}
	return nil
}

// VerifyPhone checks a code sent by StartPhoneVerification. The right code
// makes its number a's verified phone and returns the updated account. A
// wrong one answers invalid_code (401); the fifth wrong one voids the
// verification, and so does expiry: then, or when no code is pending, it
// answers invalid_or_expired_token (400), and the user asks for a new code.
// Attempts are counted atomically, so concurrent guesses never get more
// than PhoneCodeAttempts.
func (s *Service) VerifyPhone(ctx context.Context, a *varco.Account, code string, m varco.Meta) (*varco.Account, error) {
	if _, ok := stepup.ParseCode(code); !ok {
		return nil, varco.E(varco.EInvalid, "error.sms_code_format")
	}
	now := s.clock.Now()
	var outcome string // "ok", "wrong", "void"

	err := s.inTx(ctx, func(q Store) error {
		outcome = "void"
		v, err := q.PendingContactVerification(ctx, a.ID, varco.VerifyPhone, now)
		if varco.IsCode(err, varco.ENotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := q.CountVerificationAttempt(ctx, v.ID, PhoneCodeAttempts)
		if err != nil || n == 0 {
			return err
		}

		if subtle.ConstantTimeCompare(phoneCodeHash(a.ID, v.Target, code), v.SecretHash) != 1 {
			outcome = "wrong"
			detail := "wrong code for " + notify.MaskPhone(v.Target)
			if n >= PhoneCodeAttempts {
				if _, err := q.UseContactVerification(ctx, v.ID, now); err != nil {
					return err
				}
				detail += "; verification voided after " + strconv.Itoa(n) + " wrong codes"
			}
			return q.AppendEvent(ctx, s.accounts.Event(a, varco.EventPhoneVerificationFailed, varco.OutcomeFailure, m, detail))
		}
		if ok, err := q.UseContactVerification(ctx, v.ID, now); err != nil || !ok {
			return err // !ok: a concurrent request used it; outcome stays "void"
		}
		outcome = "ok"
		if err := q.SetAccountPhone(ctx, a.ID, v.Target, true); err != nil {
			return err
		}
		if err := contactAlert(ctx, q, a, "phone", v.Target, now); err != nil {
			return err
		}
		return q.AppendEvent(ctx, s.accounts.Event(a, varco.EventPhoneVerified, varco.OutcomeSuccess, m,
			"phone "+notify.MaskPhone(v.Target)))
	})
	if err != nil {
		return nil, fmt.Errorf("verify phone: %w", err)
	}
	switch outcome {
	case "wrong":
		return nil, varco.E(varco.EInvalidCode, "error.code_not_right")
	case "void":
		return nil, varco.E(varco.EInvalidOrExpiredToken, "error.no_code_pending")
	}
	return s.db.AccountByID(ctx, a.ID)
}

// RemovePhone removes a's phone number (and any pending verification).
func (s *Service) RemovePhone(ctx context.Context, a *varco.Account, m varco.Meta) error {
	now := s.clock.Now()
	err := s.inTx(ctx, func(q Store) error {
		if err := q.RetireContactVerifications(ctx, a.ID, varco.VerifyPhone, now); err != nil {
			return err
		}
		if a.Phone == "" {
			return nil
		}
		if err := q.SetAccountPhone(ctx, a.ID, "", false); err != nil {
			return err
		}
		if err := contactAlert(ctx, q, a, "phone", "", now); err != nil {
			return err
		}
		return q.AppendEvent(ctx, s.accounts.Event(a, varco.EventPhoneRemoved, varco.OutcomeSuccess, m,
			"phone "+notify.MaskPhone(a.Phone)))
	})
	if err != nil {
		return fmt.Errorf("remove phone: %w", err)
	}
	return nil
}

// StartContactEmailVerification e-mails a single-use link, valid
// ContactEmailLinkTTL, to the address email, to verify it as a's contact
// e-mail; until then mail keeps going to the current address. The same send
// limits as for phones apply.
func (s *Service) StartContactEmailVerification(ctx context.Context, a *varco.Account, email string, m varco.Meta) error {
	if _, err := text.Identifier("contact_email", email); err != nil {
		return err
	}
	email = varco.NormalizeEmail(email)
	if !varco.ValidEmail(email) {
		return varco.E(varco.EInvalid, "error.contact_email_invalid")
	}
	token, hash, err := varco.NewToken()
	if err != nil {
		return err
	}
	now := s.clock.Now()
	m = s.located(m, a.Language())
	v := &store.ContactVerification{AccountID: a.ID, Kind: varco.VerifyContactEmail, Target: email,
		SecretHash: hash, CreatedAt: now, ExpiresAt: now.Add(ContactEmailLinkTTL)}
	data := notify.Data{Time: now, IP: m.IP, Location: m.Location, ContactEmail: email,
		VerifyURL:       strings.TrimRight(s.mailer.BaseURL, "/") + PathContactEmailVerify + "?token=" + url.QueryEscape(token),
		VerifyExpiresAt: v.ExpiresAt, ValidFor: ContactEmailLinkTTL}
	err = s.inTx(ctx, func(q Store) error {
		if err := s.checkVerificationSends(ctx, q, a.ID, varco.VerifyContactEmail, now); err != nil {
			return err
		}
		if err := q.CreateContactVerification(ctx, v); err != nil {
			return err
		}
		if err := q.AppendEvent(ctx, s.accounts.Event(a, varco.EventContactEmailVerificationSent, varco.OutcomeSuccess, m,
			"to "+notify.MaskEmail(email))); err != nil {
			return err
		}
		return s.mailer.EnqueueTo(ctx, q, a, email, varco.EventContactEmailVerificationSent, data)
	})
	if err != nil {
		return fmt.Errorf("start contact e-mail verification: %w", err)
	}
	return nil
}

// VerifyContactEmail uses a contact e-mail link's token: its address
// becomes the account's verified contact e-mail, and the updated account is
// returned. accountID, when not 0, is the signed-in account, which must be
// the link's. An unknown, used, replaced or expired token answers
// invalid_or_expired_token.
func (s *Service) VerifyContactEmail(ctx context.Context, accountID int64, token string, m varco.Meta) (*varco.Account, error) {
	invalid := varco.E(varco.EInvalidOrExpiredToken, "error.confirm_link_invalid")
	if token == "" || len(token) > varco.MaxTokenLen {
		return nil, invalid
	}
	now := s.clock.Now()
	var a *varco.Account
	err := s.inTx(ctx, func(q Store) error {
		v, err := q.ContactVerificationByHash(ctx, varco.VerifyContactEmail, varco.HashToken(token), now)
		if varco.IsCode(err, varco.ENotFound) || (err == nil && accountID != 0 && v.AccountID != accountID) {
			return invalid
		}
		if err != nil {
			return err
		}
		if ok, err := q.UseContactVerification(ctx, v.ID, now); err != nil || !ok {
			if err == nil {
				err = invalid
			}
			return err
		}
		if a, err = q.AccountByID(ctx, v.AccountID); err != nil {
			return err
		}
		if err := q.SetAccountContactEmail(ctx, a.ID, v.Target, true); err != nil {
			return err
		}
		a.ContactEmail, a.ContactEmailVerified = v.Target, true
		if err := contactAlert(ctx, q, a, "email", v.Target, now); err != nil {
			return err
		}
		return q.AppendEvent(ctx, s.accounts.Event(a, varco.EventContactEmailVerified, varco.OutcomeSuccess, m,
			"contact e-mail "+notify.MaskEmail(v.Target)))
	})
	if err != nil {
		if varco.IsCode(err, varco.EInvalidOrExpiredToken) {
			return nil, err
		}
		return nil, fmt.Errorf("verify contact e-mail: %w", err)
	}
	return a, nil
}

// PendingContact describes the verifications an account is waiting for,
// for the profile page.
type PendingContact struct {
	Phone        string // the number a code was sent to; "" when none is pending
	ContactEmail string // the address a link was sent to; "" when none is pending
}

// PendingContact returns a's pending verifications.
func (s *Service) PendingContact(ctx context.Context, a *varco.Account) (PendingContact, error) {
	var p PendingContact
	now := s.clock.Now()
	for kind, dst := range map[string]*string{varco.VerifyPhone: &p.Phone, varco.VerifyContactEmail: &p.ContactEmail} {
		v, err := s.read().PendingContactVerification(ctx, a.ID, kind, now)
		if varco.IsCode(err, varco.ENotFound) {
			continue
		}
		if err != nil {
			return p, err
		}
		*dst = v.Target
	}
	return p, nil
}

// phoneCodeHash is the stored form of a phone code: bound to the account
// and number, so a hash is worth nothing for another. (A 6-digit code
// cannot resist an offline search whatever the hash; it lives 10 minutes
// and 5 tries, which is what protects it.)
func phoneCodeHash(accountID int64, phone, code string) []byte {
	h := sha256.Sum256([]byte("varco phone code\x00" + strconv.FormatInt(accountID, 10) + "\x00" + phone + "\x00" + code))
	return h[:]
}

// contactAlert raises the contact_changed alert (notify.ContactAlert) in
// the change's transaction.
func contactAlert(ctx context.Context, q Store, a *varco.Account, what, value string, now time.Time) error {
	return q.RaiseAlert(ctx, a.ID, notify.ContactAlert(a, what, value, now), now)
}
