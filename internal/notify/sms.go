package notify

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"varco.dev/varco/internal/i18n"
)

// SMS templates live in templates/sms/<event>.txt, language-neutral like
// the e-mail ones: the whole file is the text, rendered as one line (runs
// of white space become one space), its sentences from the catalogue
// ("sms.<event>"). Keep it short (160 GSM characters fit one SMS) and, when
// it carries a code, make the code its only 6-digit number. Loading fails
// for a key some language lacks, as for e-mail.

// SMS events with a template.
const (
	EventOTPSent               = "otp_sent"
	EventPhoneVerificationSent = "phone_verification_sent"
)

type smsTemplateSet map[string]map[string]*texttemplate.Template // lang → event → template

var loadSMSTemplates = sync.OnceValues(func() (smsTemplateSet, error) { return parseSMSTemplates(templateFS) })

// SMSEvents returns the events that have SMS templates, sorted.
func SMSEvents() ([]string, error) {
	set, err := loadSMSTemplates()
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(set[Languages[0]])), nil
}

// RenderSMS renders the SMS text of event in lang (English when lang has no
// templates) with data, usually a Data with Code and ValidFor. It returns
// an error wrapping ErrUnknownEvent for an event without an SMS template,
// or the template error when data lacks a field the template uses.
func RenderSMS(event, lang string, data any) (string, error) {
	set, err := loadSMSTemplates()
	if err != nil {
		return "", err
	}
	byEvent, ok := set[normalizeLang(lang)]
	if !ok {
		byEvent = set[Languages[0]]
	}
	t, ok := byEvent[event]
	if !ok {
		return "", fmt.Errorf("render sms %q: %w", event, ErrUnknownEvent)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render sms %s: %w", event, err)
	}
	return strings.Join(strings.Fields(b.String()), " "), nil
}

func parseSMSTemplates(fsys fs.FS) (smsTemplateSet, error) {
	dir := path.Join("templates", "sms")
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load sms templates: %w", err)
	}
	set := smsTemplateSet{}
	for _, lang := range Languages {
		set[lang] = map[string]*texttemplate.Template{}
		for _, e := range entries {
			event, ok := strings.CutSuffix(e.Name(), ".txt")
			if !ok || e.IsDir() {
				return nil, fmt.Errorf("load sms templates: unexpected file %s/%s", dir, e.Name())
			}
			t, err := texttemplate.New(e.Name()).Funcs(textFuncs(lang)).
				Option("missingkey=error").ParseFS(fsys, path.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("load sms templates: %w", err)
			}
			if err := checkKeys(t); err != nil {
				return nil, fmt.Errorf("load sms templates: %s: %w", e.Name(), err)
			}
			set[lang][event] = t
		}
	}
	return set, nil
}

// FormatDuration writes d the way lang says a validity: "10 minuti",
// "1 ora", "24 ore"; "10 minutes", "1 hour", "24 hours". Whole hours are
// said in hours, anything else in minutes (rounded up).
func FormatDuration(d time.Duration, lang string) string {
	lang = i18n.Lang(lang)
	if d >= time.Hour && d%time.Hour == 0 {
		return i18n.N(lang, "duration.hours", int(d/time.Hour))
	}
	return i18n.N(lang, "duration.minutes", int((d+time.Minute-1)/time.Minute))
}
