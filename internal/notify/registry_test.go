package notify_test

import (
	"slices"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
)

// TestTemplatesMatchTheEventRegistry: an e-mail (SMS) template exists for
// exactly the events the registry says send one, so a new event with a
// message cannot ship without its text, nor a template outlive its event.
// Templates are language-neutral; loading them (Events, SMSEvents) fails
// when one names a catalogue key that a language lacks, so every event
// also has its strings in both languages.
func TestTemplatesMatchTheEventRegistry(t *testing.T) {
	var wantEmail, wantSMS []string
	for _, e := range varco.Events() {
		if e.Email {
			wantEmail = append(wantEmail, e.Name)
		}
		if e.SMS {
			wantSMS = append(wantSMS, e.Name)
		}
	}
	slices.Sort(wantEmail)
	slices.Sort(wantSMS)
	email, err := notify.Events()
	if err != nil {
		t.Fatal(err)
	}
	sms, err := notify.SMSEvents()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(sms)
	if !slices.Equal(email, wantEmail) {
		t.Errorf("e-mail templates %v\nregistry says %v", email, wantEmail)
	}
	if !slices.Equal(sms, wantSMS) {
		t.Errorf("SMS templates %v\nregistry says %v", sms, wantSMS)
	}
}
