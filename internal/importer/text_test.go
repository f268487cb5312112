package importer_test

import (
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/importer"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestImportBadTextIsALineError: a NUL, a control or a text-direction
// character in any field of an import line is that line's error on both
// engines; it never reaches the store, where PostgreSQL would refuse it and
// stop the whole import.
func TestImportBadTextIsALineError(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		if err := db.CreateOrg(ctx, &varco.Org{Name: "acme", Plan: varco.PlanPro, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		lines := []string{
			"ok1@acme.test,Uno,,,acme," + bcrypt,
			"nul@acme.test,Due,,,ac\x00me," + bcrypt,          // organization
			"rtl@acme.test,Tre \u202eevil,,,acme," + bcrypt,   // name
			"mail\x00@acme.test,Quattro,,,acme," + bcrypt,     // e-mail
			"hash@acme.test,Cinque,,,acme," + bcrypt + "\x00", // hash
			"contact@acme.test,Sei,,c\x00@acme.test,acme," + bcrypt,
			"ok2@acme.test,Sette,,,acme," + bcrypt,
		}
		var reasons []string
		st, err := importer.Run(ctx, db, strings.NewReader(csvHead+strings.Join(lines, "\n")+"\n"), importer.Options{
			Format: importer.FormatCSV,
			OnError: func(le *importer.LineError) error {
				reasons = append(reasons, le.Error())
				return nil
			},
		})
		if err != nil || st.Imported != 2 || st.Errors != 5 {
			t.Fatalf("stats %+v, err %v, line errors %q", st, err, reasons)
		}
		for _, r := range reasons {
			if !strings.Contains(r, "control character or direction mark in ") {
				t.Errorf("line error %q does not name the field", r)
			}
		}
	})
}
