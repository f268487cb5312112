package geo_test

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/geo"
	"varco.dev/varco/internal/geo/geotest"
)

// logBuffer collects log lines; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) count(s string) int { return strings.Count(b.String(), s) }

func newLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func mustLookup(t *testing.T, db *geo.DB, ip string) (geo.Location, bool) {
	t.Helper()
	return db.Lookup(netip.MustParseAddr(ip))
}

func TestLookupStandard(t *testing.T) {
	db := geo.Open(geotest.Standard(t), nil)
	defer db.Close()
	if !db.Available() {
		t.Fatal("Available() = false with a good database")
	}
	tests := []struct {
		ip        string
		ok        bool
		country   string
		city      string
		hasCoords bool
		lat, lon  float64
	}{
		{geotest.MilanIP, true, "IT", "Milan", true, geotest.MilanLat, geotest.MilanLon},
		{geotest.MilanIP2, true, "IT", "Milan", true, geotest.MilanLat, geotest.MilanLon},
		{geotest.MilanIPv6, true, "IT", "Milan", true, geotest.MilanLat, geotest.MilanLon},
		{"::ffff:" + geotest.MilanIP, true, "IT", "Milan", true, geotest.MilanLat, geotest.MilanLon},
		{"2002:220:a01::1", true, "IT", "Milan", true, geotest.MilanLat, geotest.MilanLon}, // 6to4 of MilanIP
		{geotest.RomeIP, true, "IT", "Rome", true, geotest.RomeLat, geotest.RomeLon},
		{geotest.ParisIP, true, "FR", "Paris", true, geotest.ParisLat, geotest.ParisLon},
		{geotest.NewYorkIP, true, "US", "New York", true, geotest.NewYorkLat, geotest.NewYorkLon},
		// Country-level guess: the coordinates are the country's centre with
		// a 1000 km radius, not a place.
		{geotest.ItalyOnlyIP, true, "IT", "", false, 0, 0},
		{geotest.UnknownIP, false, "", "", false, 0, 0},
		{"8.8.8.8", false, "", "", false, 0, 0},
		{"127.0.0.1", false, "", "", false, 0, 0},
		{"192.168.1.1", false, "", "", false, 0, 0},
		{"::1", false, "", "", false, 0, 0},
		{"fe80::1%eth0", false, "", "", false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			loc, ok := mustLookup(t, db, tt.ip)
			if ok != tt.ok || loc.Country != tt.country || loc.City != tt.city || loc.HasCoords != tt.hasCoords ||
				loc.Lat != tt.lat || loc.Lon != tt.lon {
				t.Errorf("Lookup(%s) = %+v, %v; want country %q city %q coords %v (%v, %v), ok %v",
					tt.ip, loc, ok, tt.country, tt.city, tt.hasCoords, tt.lat, tt.lon, tt.ok)
			}
		})
	}
	if _, ok := db.Lookup(netip.Addr{}); ok {
		t.Error("Lookup(zero Addr) ok = true")
	}
}

func TestLocationCountryName(t *testing.T) {
	db := geo.Open(geotest.Standard(t), nil)
	defer db.Close()
	loc, _ := mustLookup(t, db, geotest.ParisIP)
	if got := loc.CountryName("it"); got != "Francia" {
		t.Errorf("CountryName(it) = %q, want Francia", got)
	}
	if got := loc.CountryName("en"); got != "France" {
		t.Errorf("CountryName(en) = %q, want France", got)
	}
	if got := (geo.Location{}).CountryName("en"); got != "" {
		t.Errorf("unknown location CountryName = %q, want empty", got)
	}
}

func TestCountryName(t *testing.T) {
	tests := []struct{ iso, lang, want string }{
		{"FR", "en", "France"},
		{"FR", "it", "Francia"},
		{"fr", "it", "Francia"},
		{"US", "it", "Stati Uniti"},
		{"US", "en", "United States"},
		{"IT", "it", "Italia"},
		{"DE", "de", "Deutschland"},
		{"DE", "", "Germany"},
		{"DE", "not a language!", "Germany"},
		{"XK", "en", "Kosovo"},
		{"AP", "en", "AP"},
		{"ZZ", "en", "ZZ"},
		{"xx", "it", "XX"},
		{"FRA", "en", "FRA"},
		{"", "en", ""},
	}
	for _, tt := range tests {
		if got := geo.CountryName(tt.iso, tt.lang); got != tt.want {
			t.Errorf("CountryName(%q, %q) = %q, want %q", tt.iso, tt.lang, got, tt.want)
		}
	}
}

func TestNoDatabaseConfigured(t *testing.T) {
	log, buf := newLogger()
	db := geo.Open("", log)
	defer db.Close()
	if db.Available() {
		t.Error("Available() = true without a database")
	}
	if _, ok := mustLookup(t, db, geotest.MilanIP); ok {
		t.Error("Lookup ok = true without a database")
	}
	if db.CheckNow() {
		t.Error("CheckNow() = true without a database")
	}
	if buf.count("no database configured") != 1 {
		t.Errorf("log = %q, want one line saying there is no database", buf)
	}
}

func TestMissingOrCorruptFileAtStart(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"missing", func(*testing.T, string) {}},
		{"corrupt", func(t *testing.T, path string) { geotest.WriteCorrupt(t, path) }},
		{"truncated", func(t *testing.T, path string) { geotest.WriteTruncated(t, path, geotest.StandardNetworks()) }},
		{"empty", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "GeoLite2-City.mmdb")
			tt.write(t, path)
			log, buf := newLogger()
			db := geo.Open(path, log)
			defer db.Close()
			if db.Available() {
				t.Fatal("Available() = true")
			}
			if _, ok := mustLookup(t, db, geotest.MilanIP); ok {
				t.Error("Lookup ok = true")
			}
			// Checking again an unchanged bad file logs nothing new.
			for range 3 {
				if db.CheckNow() {
					t.Error("CheckNow() = true for an unchanged bad file")
				}
			}
			if n := buf.count("level=ERROR"); n != 1 {
				t.Errorf("%d error lines, want 1:\n%s", n, buf)
			}
			if !strings.Contains(buf.String(), "client's IP network") {
				t.Errorf("log does not say what happens instead:\n%s", buf)
			}
			// The file appears or is fixed: the next check loads it.
			if tt.name == "directory" {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			}
			geotest.Write(t, path, geotest.StandardNetworks())
			if !db.CheckNow() {
				t.Fatal("CheckNow() = false after a good file appeared")
			}
			if loc, ok := mustLookup(t, db, geotest.MilanIP); !ok || loc.City != "Milan" {
				t.Errorf("Lookup after load = %+v, %v", loc, ok)
			}
		})
	}
}

func TestReloadKeepsGoodDatabaseOnBadFile(t *testing.T) {
	path := geotest.Standard(t)
	log, buf := newLogger()
	db := geo.New(geo.Options{Path: path, Logger: log, CheckInterval: -1})
	defer db.Close()
	if db.CheckNow() {
		t.Error("CheckNow() = true for an unchanged file")
	}

	// A corrupt update is rejected once and the old data keeps answering.
	geotest.WriteCorrupt(t, path)
	if db.CheckNow() {
		t.Error("CheckNow() = true for a corrupt file")
	}
	db.CheckNow()
	if loc, ok := mustLookup(t, db, geotest.ParisIP); !ok || loc.Country != "FR" {
		t.Errorf("Lookup after a corrupt update = %+v, %v; want the old answer", loc, ok)
	}
	if n := buf.count("rejected"); n != 1 {
		t.Errorf("%d rejection lines, want 1:\n%s", n, buf)
	}

	// So does a deleted file.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	db.CheckNow()
	db.CheckNow()
	if _, ok := mustLookup(t, db, geotest.ParisIP); !ok {
		t.Error("Lookup after the file was deleted: ok = false; want the old answer")
	}
	if n := buf.count("is gone"); n != 1 {
		t.Errorf("%d 'gone' lines, want 1:\n%s", n, buf)
	}

	// A good update replaces it.
	geotest.Write(t, path, []geotest.Network{
		{CIDR: "2.2.0.0/16", Country: "DE", City: "Berlin", Lat: 52.52, Lon: 13.405},
	})
	if !db.CheckNow() {
		t.Fatal("CheckNow() = false for a good update")
	}
	if loc, ok := mustLookup(t, db, geotest.ParisIP); !ok || loc.City != "Berlin" {
		t.Errorf("Lookup after the update = %+v, %v; want Berlin", loc, ok)
	}
	if n := buf.count("database reloaded"); n != 1 {
		t.Errorf("%d reload lines, want 1:\n%s", n, buf)
	}
}

func TestReloadTriggeredByLookupAfterInterval(t *testing.T) {
	path := geotest.Standard(t)
	clk := clock.NewManual(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	db := geo.New(geo.Options{Path: path, Clock: clk, CheckInterval: 5 * time.Second})
	defer db.Close()

	geotest.Write(t, path, []geotest.Network{{CIDR: "2.2.0.0/16", Country: "DE"}})
	// Before the interval has passed lookups do not look at the file.
	clk.Advance(4 * time.Second)
	if loc, _ := mustLookup(t, db, geotest.ParisIP); loc.Country != "FR" {
		t.Fatalf("Country = %q before the interval, want FR", loc.Country)
	}
	geo.WaitReload(db)
	if loc, _ := mustLookup(t, db, geotest.ParisIP); loc.Country != "FR" {
		t.Fatalf("Country = %q before the interval, want FR", loc.Country)
	}

	// After it, a lookup starts a reload in the background; it answers
	// from the old data or the new, never fails.
	clk.Advance(2 * time.Second)
	if loc, ok := mustLookup(t, db, geotest.ParisIP); !ok || (loc.Country != "FR" && loc.Country != "DE") {
		t.Fatalf("Lookup during the reload = %+v, %v", loc, ok)
	}
	geo.WaitReload(db)
	if loc, _ := mustLookup(t, db, geotest.ParisIP); loc.Country != "DE" {
		t.Errorf("Country = %q after the reload, want DE", loc.Country)
	}
}

func TestConcurrentLookupsDuringReloads(t *testing.T) {
	path := geotest.Standard(t)
	clk := clock.NewManual(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	db := geo.New(geo.Options{Path: path, Clock: clk, CheckInterval: time.Second})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				loc, ok := db.Lookup(netip.MustParseAddr(geotest.MilanIP))
				if !ok || loc.Country != "IT" {
					t.Errorf("Lookup = %+v, %v", loc, ok)
					return
				}
			}
		})
	}
	for i := range 5 {
		if i%2 == 0 {
			geotest.Write(t, path, geotest.StandardNetworks())
		} else {
			geotest.WriteCorrupt(t, path)
		}
		clk.Advance(2 * time.Second)
		db.CheckNow()
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db.Available() {
		t.Error("Available() = true after Close")
	}
	if _, ok := mustLookup(t, db, geotest.MilanIP); ok {
		t.Error("Lookup ok = true after Close")
	}
}
