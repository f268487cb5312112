package importer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/importer"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestImportNormalisesPhones: a CSV phone is stored in E.164, one without
// its country code read as dialled in the account's organization's country;
// one that is no valid number is a line error that does not echo it.
func TestImportNormalisesPhones(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, o := range []*varco.Org{{Name: "acme", Plan: varco.PlanPro}, {Name: "london", Plan: varco.PlanPro, Country: "GB"}} {
			o.CreatedAt = time.Now()
			if err := db.CreateOrg(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		in := csvHead +
			"a@acme.test,A,333 123 4567,,acme," + bcrypt + "\n" +
			"b@acme.test,B,0039 (02) 1234 5678,,acme," + bcrypt + "\n" +
			"c@london.test,C,020 7946 0958,,london," + bcrypt + "\n" +
			"d@acme.test,D,+39 333 1234567,,acme," + bcrypt + "\n" +
			"e@acme.test,E,333 12,,acme," + bcrypt + "\n"
		var lineErrs []*importer.LineError
		st, err := importer.Run(ctx, db, strings.NewReader(in), importer.Options{Format: importer.FormatCSV,
			OnError: func(le *importer.LineError) error { lineErrs = append(lineErrs, le); return nil }})
		if err != nil || st.Imported != 4 || st.Errors != 1 {
			t.Fatalf("%+v, %v, %v", st, lineErrs, err)
		}
		if le := lineErrs[0]; le.Line != 6 || !strings.Contains(le.Reason, "phone number") || strings.Contains(le.Error(), "333 12") {
			t.Fatalf("line error %v", le)
		}
		for email, want := range map[string]string{"a@acme.test": "+393331234567", "b@acme.test": "+390212345678",
			"c@london.test": "+442079460958", "d@acme.test": "+393331234567"} {
			a, err := db.Reader().AccountByEmail(ctx, email)
			if err != nil || a.Phone != want {
				t.Errorf("%s: phone %q, %v; want %q", email, a.Phone, err, want)
			}
		}
	})
}
