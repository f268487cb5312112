package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

// Login alerts (SPEC §5.10): a sign-in from a place or a device not seen in
// the last 180 days is e-mailed to the user, with a "this wasn't me" link.
const (
	alertWindow  = 180 * varco.Day
	alertLinkTTL = 7 * varco.Day
	// PathNotMe is the web page the "this wasn't me" link opens.
	PathNotMe = "/login/not-me"
)

// deviceKey identifies a client by its user agent, hashed so the table
// holds no free text.
func deviceKey(userAgent string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(userAgent)))
	return hex.EncodeToString(h[:16])
}

// loginAlert records the sign-in's place and device when they are new to
// the account (seen says which store.Q.SignIn found usual, and touched)
// and, when either is, queues the alert. Call it in the sign-in's
// transaction right after SignIn. The account's first sign-in sets the
// baseline and alerts nobody.
func (s *Service) loginAlert(ctx context.Context, q Store, a *varco.Account, sess *varco.Session, m Meta,
	place store.Place, now time.Time, seen store.SignInResult) error {
	since := now.Add(-alertWindow)
	newPlace, anyPlace := false, false
	if place.Key != "" {
		newPlace, anyPlace = !seen.PlaceSeen, true
		if newPlace {
			// Whether the account has any place, before this one is added.
			any, err := q.HasPlaces(ctx, a.ID)
			if err != nil {
				return err
			}
			anyPlace = any
			if err := q.TouchPlace(ctx, a.ID, place); err != nil {
				return err
			}
		}
	}
	seenDevice := seen.DeviceSeen
	if !seenDevice {
		if _, err := q.TouchDevice(ctx, a.ID, deviceKey(m.UserAgent), since, now); err != nil {
			return err
		}
	}
	if !anyPlace || (!newPlace && seenDevice) {
		return nil
	}
	token, hash, err := varco.NewToken()
	if err != nil {
		return err
	}
	if err := q.CreateLoginAlert(ctx, a.ID, sess.ID, hash, now, now.Add(alertLinkTTL)); err != nil {
		return err
	}
	var what []string
	if newPlace {
		what = append(what, "new place")
	}
	if !seenDevice {
		what = append(what, "new device")
	}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventLoginAlertSent, varco.OutcomeSuccess, m, strings.Join(what, ", "))); err != nil {
		return err
	}
	return s.mailer.Enqueue(ctx, q, a, varco.EventLoginAlertSent, notify.Data{Time: now, IP: m.IP, Location: m.Location,
		Device: text.Record(m.UserAgent, text.MaxUserAgent), Application: s.appName(m.Application, a), SessionID: sess.ID,
		NotMeURL: strings.TrimRight(s.mailer.BaseURL, "/") + PathNotMe + "?token=" + url.QueryEscape(token)})
}

// NotMe answers "this wasn't me" from a login alert: it revokes the session
// the alert was about and starts a password reset. The link works once,
// for a week; otherwise invalid_or_expired_token.
func (s *Service) NotMe(ctx context.Context, token string, m Meta) error {
	invalid := varco.E(varco.EInvalidOrExpiredToken, "error.link_invalid")
	if token == "" || len(token) > maxTokenLen {
		return invalid
	}
	now := s.clock.Now()
	var a *varco.Account
	err := s.inTx(ctx, func(q Store) error {
		accountID, sessionID, err := q.UseLoginAlert(ctx, varco.HashToken(token), now)
		if varco.IsCode(err, varco.ENotFound) {
			return invalid
		}
		if err != nil {
			return err
		}
		if a, err = q.AccountByID(ctx, accountID); err != nil {
			return err
		}
		if err := q.RevokeSession(ctx, a.ID, sessionID, now); err != nil && !varco.IsCode(err, varco.ENotFound) {
			return err
		}
		return q.AppendEvent(ctx, s.event(a, varco.EventSessionRevoked, varco.OutcomeSuccess, m,
			fmt.Sprintf("session %d: \"this wasn't me\" from a login alert", sessionID)))
	})
	if err != nil {
		return err
	}
	// The password is known to someone else: a reset link goes to the
	// user (or "contact support" when the account cannot be reset).
	return s.requestReset(ctx, a.Email, m)
}
