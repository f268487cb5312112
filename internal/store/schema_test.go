package store_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestSchemasMatch migrates a SQLite and a PostgreSQL database and compares
// what the two engines' migrations built: the same tables, the same columns
// with the same kind, nullability and default, and the same indexes (their
// columns, uniqueness and whether they are partial). The two migration
// directories are written by hand, one per engine; this is what keeps them
// from drifting apart.
func TestSchemasMatch(t *testing.T) {
	schemas := map[string][]string{}
	for _, engine := range testenv.Engines() {
		url := testenv.DatabaseURL(t, engine)
		db, err := store.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		db.Close()
		driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[engine]
		raw, err := sql.Open(driver, url)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if engine == "sqlite" {
			schemas[engine] = sqliteSchema(t, raw)
		} else {
			schemas[engine] = postgresSchema(t, raw)
		}
	}
	lite, pg := schemas["sqlite"], schemas["postgres"]
	if len(lite) < 20 {
		t.Fatalf("the SQLite schema looks empty: %v", lite)
	}
	only := func(a, b []string) []string {
		in := map[string]bool{}
		for _, s := range b {
			in[s] = true
		}
		var out []string
		for _, s := range a {
			if !in[s] {
				out = append(out, s)
			}
		}
		return out
	}
	if d := only(lite, pg); len(d) > 0 {
		t.Errorf("only in SQLite's schema:\n  %s", strings.Join(d, "\n  "))
	}
	if d := only(pg, lite); len(d) > 0 {
		t.Errorf("only in PostgreSQL's schema:\n  %s", strings.Join(d, "\n  "))
	}
}

// kind folds each engine's column types into what they mean to varco.
func kind(typ string) string {
	switch t := strings.ToLower(typ); {
	case strings.Contains(t, "int"):
		return "integer"
	case t == "blob" || t == "bytea":
		return "bytes"
	case t == "text" || strings.HasPrefix(t, "character"):
		return "text"
	case strings.HasPrefix(t, "bool"):
		return "boolean"
	case t == "real" || strings.HasPrefix(t, "double"):
		return "real"
	default:
		return "other:" + t
	}
}

var casts = regexp.MustCompile(`::[a-z ]+`)

// defaultValue folds the engines' spellings of a column default.
func defaultValue(v sql.NullString) string {
	if !v.Valid {
		return "none"
	}
	d := strings.ToLower(strings.TrimSpace(casts.ReplaceAllString(v.String, "")))
	d = strings.Trim(d, "()")
	switch {
	case strings.HasPrefix(d, "nextval"):
		return "auto"
	case d == `'\x'` || d == `x''`:
		return "empty-bytes"
	}
	return d
}

func sqliteSchema(t *testing.T, db *sql.DB) []string {
	var out []string
	tables := queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name <> 'schema_migrations' ORDER BY name`)
	for _, table := range tables {
		pks := queryStrings(t, db, fmt.Sprintf(`SELECT name FROM pragma_table_info('%s') WHERE pk > 0`, table))
		rows, err := db.Query(fmt.Sprintf(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('%s')`, table))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ string
			var notNull, pk int
			var def sql.NullString
			if err := rows.Scan(&name, &typ, &notNull, &def, &pk); err != nil {
				t.Fatal(err)
			}
			d := defaultValue(def)
			if pk > 0 && len(pks) == 1 && strings.EqualFold(typ, "INTEGER") {
				d = "auto" // a rowid alias numbers itself
			}
			out = append(out, column(table, name, kind(typ), notNull == 1 || pk > 0, d))
		}
		rows.Close()
		idx, err := db.Query(fmt.Sprintf(`SELECT name, "unique", origin, partial FROM pragma_index_list('%s')`, table))
		if err != nil {
			t.Fatal(err)
		}
		type index struct {
			name, origin    string
			unique, partial bool
		}
		var list []index
		for idx.Next() {
			var x index
			var unique, partial int
			if err := idx.Scan(&x.name, &unique, &x.origin, &partial); err != nil {
				t.Fatal(err)
			}
			x.unique, x.partial = unique == 1, partial == 1
			list = append(list, x)
		}
		idx.Close()
		for _, x := range list {
			if x.origin == "pk" {
				continue
			}
			cols := queryStrings(t, db, fmt.Sprintf(`SELECT name FROM pragma_index_info('%s') ORDER BY seqno`, x.name))
			out = append(out, indexLine(table, cols, x.unique, x.partial))
		}
	}
	sort.Strings(out)
	return out
}

func postgresSchema(t *testing.T, db *sql.DB) []string {
	var out []string
	rows, err := db.Query(`SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, name, typ, nullable, identity string
		var def sql.NullString
		if err := rows.Scan(&table, &name, &typ, &nullable, &def, &identity); err != nil {
			t.Fatal(err)
		}
		d := defaultValue(def)
		if identity == "YES" {
			d = "auto"
		}
		out = append(out, column(table, name, kind(typ), nullable == "NO", d))
	}
	rows.Close()
	idx, err := db.Query(`SELECT t.relname, i.indisunique, i.indpred IS NOT NULL,
		array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
			JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n), ',')
		FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace
		WHERE s.nspname = current_schema() AND NOT i.indisprimary AND t.relname <> 'schema_migrations'`)
	if err != nil {
		t.Fatal(err)
	}
	for idx.Next() {
		var table, cols string
		var unique, partial bool
		if err := idx.Scan(&table, &unique, &partial, &cols); err != nil {
			t.Fatal(err)
		}
		out = append(out, indexLine(table, strings.Split(cols, ","), unique, partial))
	}
	idx.Close()
	sort.Strings(out)
	return out
}

func column(table, name, kind string, notNull bool, def string) string {
	null := "null"
	if notNull {
		null = "not null"
	}
	return fmt.Sprintf("column %s.%s %s %s default %s", table, name, kind, null, def)
}

func indexLine(table string, cols []string, unique, partial bool) string {
	if !unique && len(cols) > 1 && cols[len(cols)-1] == "id" {
		// Every SQLite index ends with the rowid, which is the id of a
		// table with an INTEGER PRIMARY KEY, whether it is spelt out or not.
		cols = cols[:len(cols)-1]
	}
	s := fmt.Sprintf("index on %s(%s)", table, strings.Join(cols, ", "))
	if unique {
		s += " unique"
	}
	if partial {
		s += " partial"
	}
	return s
}

func queryStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
