package httpx

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/text/language"

	"varco.dev/varco"
)

type langKey struct{}

// WithLang records the signed-in account's language on a request's
// context: error messages are written in it (SPEC §8).
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

var apiLangMatcher = language.NewMatcher([]language.Tag{language.English, language.Italian})

// maxAcceptLanguage bounds the header parsed for a language.
const maxAcceptLanguage = 512

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
	if header == "" || len(header) > maxAcceptLanguage {
		return fallback
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return fallback
	}
	_, idx, conf := apiLangMatcher.Match(tags...)
	if conf == language.No {
		return fallback
	}
	return []string{varco.LangEN, varco.LangIT}[idx]
}

// LocalizedMessage is err's safe message in lang: the messages are written
// in English, and Italian has a translation of each known one, or of its
// code. The code never changes.
func LocalizedMessage(err error, lang string) string {
	msg := varco.ErrorMessage(err)
	if lang != varco.LangIT {
		return msg
	}
	var ve *varco.Error
	if !errors.As(err, &ve) {
		return italianByCode[varco.EInternal]
	}
	if s, ok := italianMessages[msg]; ok {
		return s
	}
	if s, ok := italianByCode[ve.Code]; ok {
		return s
	}
	return msg
}
