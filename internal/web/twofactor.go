package web

import (
	"context"
	"net/http"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/push"
)

// The 2-step verification page of the profile (SPEC §6): whether it is
// on, the device, the recovery codes left; turning it off asks the device
// for a fresh approval of that action first (§6.5). The waiting page
// shows the number to type on the device; its "I approved it" button
// reads the request again, so it works without JavaScript.

type twoFactorData struct {
	Status *auth.TwoFactorStatus
	// Kind is the device's kind as the page names it: "webauthn" or "cli".
	Kind string
	// Wait is a request waiting for the device: turning 2-step
	// verification off (its button reads the request again with a GET)
	// or new recovery codes (its button collects them with a POST).
	Wait       *auth.Approval
	WaitAction string
	WaitPost   bool
	WaitIntro  string
	// Ended is "denied" or "expired" once the request is answered so.
	Ended string
	// Codes are the new recovery codes, shown once.
	Codes []string
}

// twoFactor shows the account's 2-step verification.
func (h *Handler) twoFactor(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "twofactor.title", "twofactor")
	notice(p, r, map[string]string{"disabled": "twofactor.disabled"})
	h.renderTwoFactor(w, r, rq, p, http.StatusOK, nil)
}

func (h *Handler) renderTwoFactor(w http.ResponseWriter, r *http.Request, rq *request, p *page, status int, edit func(*twoFactorData)) {
	st, err := h.auth.TwoFactor(r.Context(), rq.account)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d := twoFactorData{Status: st, Kind: st.Kind}
	if d.Kind != push.KindWebAuthn {
		d.Kind = push.KindCLI
	}
	if edit != nil {
		edit(&d)
	}
	p.Data = d
	h.render(w, r, status, "twofactor", p)
}

// twoFactorDisable starts turning 2-step verification off: the device is
// asked to approve it (as DELETE /api/v1/me/two-factor), and the browser
// goes to the page that waits for the answer.
func (h *Handler) twoFactorDisable(w http.ResponseWriter, r *http.Request, rq *request) {
	h.startApproval(w, r, rq, h.auth.StartDisable, "/profile/two-factor/disable/")
}

// startApproval asks the device to approve an action on the account
// (start) and sends the browser to waitPath+id, the page that waits for
// the answer; a refusal to start is said on the 2-step verification page.
func (h *Handler) startApproval(w http.ResponseWriter, r *http.Request, rq *request,
	start func(context.Context, *varco.Account, auth.Meta) (string, string, error), waitPath string) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	id, _, err := start(r.Context(), rq.account, h.meta(r))
	if err != nil {
		p := h.newPage(r, rq, "twofactor.title", "twofactor")
		msg, ok := formError(p.Lang, err)
		if !ok {
			h.fail(w, r, rq, err)
			return
		}
		setRetryAfter(w, err)
		p.Error = msg
		h.renderTwoFactor(w, r, rq, p, errorStatus(err), nil)
		return
	}
	redirect(w, r, waitPath+id)
}

// twoFactorDisableWait shows the number to type while the request is
// pending; an approval lands on the page with 2-step verification off, a
// denial or an expiry is said on the page.
func (h *Handler) twoFactorDisableWait(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	ap, ok := h.approval(w, r, rq, push.PurposeDisable, id)
	if !ok {
		return
	}
	p := h.newPage(r, rq, "twofactor.title", "twofactor")
	switch ap.State {
	case push.StatusApproved:
		redirect(w, r, "/profile/two-factor?done=disabled")
	case push.StatusPending:
		if r.URL.Query().Get("check") != "" {
			p.Notice = p.T("pushwait.not_yet")
		}
		h.renderTwoFactor(w, r, rq, p, http.StatusOK, func(d *twoFactorData) {
			d.Wait, d.WaitAction, d.WaitIntro = ap, "/profile/two-factor/disable/"+id, p.T("twofactor.wait_intro")
		})
	default:
		ended, status, key := "expired", http.StatusOK, "twofactor.wait_expired"
		if ap.State == push.StatusDenied {
			ended, status, key = "denied", http.StatusForbidden, "twofactor.wait_denied"
		}
		p.Error = p.T(key)
		h.renderTwoFactor(w, r, rq, p, status, func(d *twoFactorData) { d.Ended = ended })
	}
}

// recoveryCodesStart asks the device to approve new recovery codes (as
// POST /api/v1/me/two-factor/recovery-codes); the browser goes to the
// page that waits for the answer.
func (h *Handler) recoveryCodesStart(w http.ResponseWriter, r *http.Request, rq *request) {
	h.startApproval(w, r, rq, h.auth.StartRecoveryCodes, "/profile/two-factor/recovery-codes/")
}

// recoveryCodesWait shows the number to type while the request waits for
// the device, and once it is approved the button that shows the codes.
func (h *Handler) recoveryCodesWait(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	ap, ok := h.approval(w, r, rq, push.PurposeRecoveryCodes, id)
	if !ok {
		return
	}
	if ap.State == push.StatusUsed {
		h.notFound(w, r, rq)
		return
	}
	p := h.newPage(r, rq, "twofactor.title", "twofactor")
	switch ap.State {
	case push.StatusPending, push.StatusApproved:
		h.recoveryWaitPage(w, r, rq, p, ap, id)
	default:
		h.recoveryEnded(w, r, rq, p, ap.State == push.StatusDenied)
	}
}

// recoveryCodesCollect is the waiting page's button: once the device
// approved, the new codes replace the old ones and are shown, once.
func (h *Handler) recoveryCodesCollect(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	id := r.PathValue("id")
	st, err := h.auth.CollectRecoveryCodes(r.Context(), rq.account, id, h.meta(r))
	if varco.IsCode(err, varco.EPushNotFound) {
		h.notFound(w, r, rq)
		return
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	p := h.newPage(r, rq, "twofactor.title", "twofactor")
	switch st.State {
	case auth.RecoveryCodesRegenerated:
		w.Header().Set("Cache-Control", "no-store")
		p.Notice = p.T("twofactor.codes_regenerated")
		h.renderTwoFactor(w, r, rq, p, http.StatusOK, func(d *twoFactorData) { d.Codes = st.Codes })
	case auth.EnrollApprovalRequired:
		p.Notice = p.T("pushwait.not_yet")
		ap, err := h.auth.AccountApproval(r.Context(), rq.account, push.PurposeRecoveryCodes, id)
		if err != nil {
			h.fail(w, r, rq, err)
			return
		}
		h.recoveryWaitPage(w, r, rq, p, ap, id)
	default:
		h.recoveryEnded(w, r, rq, p, st.State == varco.StatePushDenied)
	}
}

func (h *Handler) recoveryWaitPage(w http.ResponseWriter, r *http.Request, rq *request, p *page, ap *auth.Approval, id string) {
	h.renderTwoFactor(w, r, rq, p, http.StatusOK, func(d *twoFactorData) {
		d.Wait, d.WaitAction, d.WaitPost, d.WaitIntro = ap, "/profile/two-factor/recovery-codes/"+id, true, p.T("twofactor.codes_wait_intro")
	})
}

// recoveryEnded says a request for new codes was denied or expired: the
// old codes still work.
func (h *Handler) recoveryEnded(w http.ResponseWriter, r *http.Request, rq *request, p *page, denied bool) {
	ended, status, key := "expired", http.StatusOK, "twofactor.codes_expired"
	if denied {
		ended, status, key = "denied", http.StatusForbidden, "twofactor.codes_denied"
	}
	p.Error = p.T(key)
	h.renderTwoFactor(w, r, rq, p, status, func(d *twoFactorData) { d.Ended = ended })
}

// approval reads the account's request id of purpose for a page that waits
// on it; false when the page was answered instead (not found, or an error).
func (h *Handler) approval(w http.ResponseWriter, r *http.Request, rq *request, purpose, id string) (*auth.Approval, bool) {
	ap, err := h.auth.AccountApproval(r.Context(), rq.account, purpose, id)
	switch {
	case varco.IsCode(err, varco.EPushNotFound):
		h.notFound(w, r, rq)
		return nil, false
	case err != nil:
		h.fail(w, r, rq, err)
		return nil, false
	}
	return ap, true
}
