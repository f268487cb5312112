package main

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"varco.dev/varco/internal/api"
)

// TestPendingOutputNames: `varco authenticator pending` prints of each
// request the API's own api.PushRequestInfo, whose names are these (SPEC
// §9a: id, application, ip, location, time, and the rest the device shows)
// and never the nonce the decision signs.
func TestPendingOutputNames(t *testing.T) {
	b, err := json.Marshal(api.PushRequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{"application", "application_name", "browser", "digits", "id", "ip", "location", "purpose", "risky", "time"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pending prints %q, want %q", got, want)
	}
}
