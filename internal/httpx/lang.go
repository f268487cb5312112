package httpx

import (
	"context"
	"errors"
	"net/http"

	"varco.dev/varco"
	"varco.dev/varco/internal/i18n"
)

type langKey struct{}

// WithLang records the signed-in account's language on a request's
// context: error messages are written in it (SPEC §8).
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

// RequestLang is the language of r's error messages: the account's (see
// WithLang), else the best match of Accept-Language, else English.
func RequestLang(r *http.Request) string {
	if l, _ := r.Context().Value(langKey{}).(string); varco.ValidLang(l) {
		return l
	}
	return MatchAcceptLanguage(r.Header.Get("Accept-Language"), varco.LangEN)
}

// MatchAcceptLanguage matches an Accept-Language header against the
// supported languages; fallback when it is empty, too long, unreadable or
// matches neither.
func MatchAcceptLanguage(header, fallback string) string {
	return i18n.MatchAcceptLanguage(header, fallback)
}

// LocalizedMessage is err's safe message in lang: its catalogue text when
// it has a key, else (an error not meant for users, like "account not
// found") the English message, or in another language the text of its
// code. An internal error says only that something went wrong. The code
// never changes.
func LocalizedMessage(err error, lang string) string {
	var ve *varco.Error
	switch {
	case !errors.As(err, &ve):
		if lang == varco.LangEN {
			return varco.ErrorMessage(err)
		}
		return i18n.T(lang, "err.internal")
	case ve.Key != "":
		return i18n.T(lang, ve.Key, ve.Args...)
	case lang == varco.LangEN:
		return ve.Message
	case i18n.Has("err." + ve.Code):
		return i18n.T(lang, "err."+ve.Code)
	}
	return ve.Message
}
