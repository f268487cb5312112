package web

import (
	"net/http"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
)

// Contact details on the profile (SPEC §1): a new phone is verified with a
// code sent by SMS, a new contact e-mail with a link sent to it.

// contactView is the profile's contact section.
type contactView struct {
	Phone         string // the verified phone, masked; "" when none
	PhoneVerified bool
	PendingPhone  string // masked number a code was sent to; "" when none is pending
	ContactEmail  string // the address notifications go to
	IsLoginEmail  bool   // ContactEmail is the login e-mail (no verified contact address)
	PendingEmail  string // address a link was sent to; "" when none is pending
	PhoneInput    string // echoed after an error
	EmailInput    string
}

func (h *Handler) contactView(r *http.Request, a *varco.Account) (contactView, error) {
	v := contactView{PhoneVerified: a.PhoneVerified, ContactEmail: a.NotifyAddress(),
		IsLoginEmail: a.NotifyAddress() == a.Email}
	if a.Phone != "" {
		v.Phone = notify.MaskPhone(a.Phone)
	}
	pending, err := h.recovery.PendingContact(r.Context(), a)
	if err != nil {
		return v, err
	}
	if pending.Phone != "" {
		v.PendingPhone = notify.MaskPhone(pending.Phone)
	}
	v.PendingEmail = pending.ContactEmail
	return v, nil
}

// maxContactInput bounds what a contact form echoes back.
const maxContactInput = 256

// phoneSubmit sends a verification code to a new number.
func (h *Handler) phoneSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	phone := r.PostForm.Get("phone")
	if err := h.recovery.StartPhoneVerification(r.Context(), rq.account, phone, h.meta(r)); err != nil {
		h.profileError(w, r, rq, err, func(v *contactView) {
			if len(phone) <= maxContactInput {
				v.PhoneInput = phone
			}
		})
		return
	}
	redirect(w, r, "/profile?done=code_sent#contact")
}

// phoneVerifySubmit checks the code from the SMS.
func (h *Handler) phoneVerifySubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if _, err := h.recovery.VerifyPhone(r.Context(), rq.account, r.PostForm.Get("code"), h.meta(r)); err != nil {
		if varco.IsCode(err, varco.EInvalid) {
			err = varco.E(varco.EInvalidCode, "error.sms_code_format")
		}
		h.profileError(w, r, rq, err, nil)
		return
	}
	redirect(w, r, "/profile?done=phone_verified#contact")
}

// phoneRemoveSubmit removes the phone number.
func (h *Handler) phoneRemoveSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := h.recovery.RemovePhone(r.Context(), rq.account, h.meta(r)); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	redirect(w, r, "/profile?done=phone_removed#contact")
}

// contactEmailSubmit e-mails a confirmation link to a new contact address.
func (h *Handler) contactEmailSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	email := r.PostForm.Get("contact_email")
	if err := h.recovery.StartContactEmailVerification(r.Context(), rq.account, email, h.meta(r)); err != nil {
		h.profileError(w, r, rq, err, func(v *contactView) {
			if len(email) <= maxContactInput {
				v.EmailInput = email
			}
		})
		return
	}
	redirect(w, r, "/profile?done=link_sent#contact")
}

// profileError shows the profile again with the error of a contact form.
func (h *Handler) profileError(w http.ResponseWriter, r *http.Request, rq *request, err error, edit func(*contactView)) {
	p := h.newPage(r, rq, "profile.title", "profile")
	switch varco.ErrorCode(err) {
	case varco.EInvalidOrExpiredToken:
		p.Error = p.T("contact.code_void")
	case varco.EInvalid:
		p.Error = p.T("contact.bad_email")
	case varco.EInternal:
		h.log.ErrorContext(r.Context(), "web contact verification", "error", err)
		p.Error = errorText(p.Lang, err)
	default:
		p.Error = errorText(p.Lang, err)
	}
	setRetryAfter(w, err)
	h.renderProfile(w, r, rq, p, errorStatus(err), edit)
}

type contactConfirmData struct {
	Token   string
	Invalid bool
	Done    bool
}

// contactEmailConfirmForm is the page the e-mailed link opens: a button
// that confirms (a GET never changes anything, so link scanners in mail
// systems do not confirm by themselves). The token goes on in a hidden
// field; the page is no-store and sends no Referer (global headers).
func (h *Handler) contactEmailConfirmForm(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "contact.confirm_title", "profile")
	token := r.URL.Query().Get("token")
	if token == "" || len(token) > maxResetToken {
		p.Error = p.T("contact.invalid_link")
		p.Data = contactConfirmData{Invalid: true}
		h.render(w, r, http.StatusBadRequest, "contact_confirm", p)
		return
	}
	p.Data = contactConfirmData{Token: token}
	h.render(w, r, http.StatusOK, "contact_confirm", p)
}

// contactEmailConfirmSubmit verifies the contact e-mail with the link's
// token; no session is needed, the token names the account.
func (h *Handler) contactEmailConfirmSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "contact.confirm_title", "profile")
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	token := r.PostForm.Get("token")
	var signedIn int64
	if rq.account != nil {
		signedIn = rq.account.ID
	}
	a, err := h.recovery.VerifyContactEmail(r.Context(), signedIn, token, h.meta(r))
	if err != nil && signedIn != 0 && varco.IsCode(err, varco.EInvalidOrExpiredToken) {
		// Signed in as someone else in this browser: the link still names
		// its own account.
		a, err = h.recovery.VerifyContactEmail(r.Context(), 0, token, h.meta(r))
	}
	if err != nil {
		if !varco.IsCode(err, varco.EInvalidOrExpiredToken) {
			h.fail(w, r, rq, err)
			return
		}
		p.Error = p.T("contact.invalid_link")
		p.Data = contactConfirmData{Invalid: true}
		h.render(w, r, http.StatusBadRequest, "contact_confirm", p)
		return
	}
	p.Notice = p.T("contact.confirmed", a.ContactEmail)
	p.Data = contactConfirmData{Done: true}
	h.render(w, r, http.StatusOK, "contact_confirm", p)
}
