package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/importer"
	"varco.dev/varco/internal/testenv"
)

// BenchmarkImportPasswd imports 100,000 passwd-file lines (hashes stored
// as they are, not recomputed) into a fresh SQLite database and reports
// lines/s. The target (SPEC §9 issue) is ≥ 50,000 lines/s.
func BenchmarkImportPasswd(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	var in bytes.Buffer
	for i := range n {
		fmt.Fprintf(&in, "user%d@acme.test:%s:%d:%d:User %d:/var/mail/user%d::\n", i, shaHash, 1000+i, 1000+i, i, i)
	}
	ctx := context.Background()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		db := testenv.OpenDB(b, "sqlite")
		if err := db.CreateOrg(ctx, &varco.Org{Name: "acme", Plan: varco.PlanPro, CreatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		st, err := importer.Run(ctx, db, bytes.NewReader(in.Bytes()), importer.Options{Format: importer.FormatPasswd, Org: "acme"})
		total += time.Since(start)
		if err != nil || st.Imported != n || st.Errors != 0 {
			b.Fatalf("%+v, %v", st, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "lines/s")
}
