package geo_test

import (
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"varco.dev/varco/internal/geo"
	"varco.dev/varco/internal/geo/geotest"
)

// FuzzLookup looks up arbitrary addresses (4 or 16 bytes) in the Standard
// database: no panic, and whatever comes back is well formed.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		geotest.MilanIP, geotest.MilanIPv6, geotest.RomeIP, geotest.ParisIP, geotest.NewYorkIP,
		geotest.ItalyOnlyIP, geotest.UnknownIP, "0.0.0.0", "255.255.255.255", "::", "::1",
		"::ffff:2.32.10.1", "2002:220:a01::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	} {
		f.Add(netip.MustParseAddr(s).AsSlice())
	}
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3})
	db := geo.Open(geotest.Standard(f), nil)
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, raw []byte) {
		ip, ok := netip.AddrFromSlice(raw)
		loc, found := db.Lookup(ip)
		if !ok && found {
			t.Fatalf("Lookup of an invalid address found %+v", loc)
		}
		checkLocation(t, loc, found)
		if ok && ip.Is4() {
			// The IPv4-mapped form answers the same.
			loc6, found6 := db.Lookup(netip.AddrFrom16(ip.As16()))
			if loc6 != loc || found6 != found {
				t.Fatalf("Lookup(%s) = %+v, %v but its IPv4-mapped form = %+v, %v", ip, loc, found, loc6, found6)
			}
		}
	})
}

// FuzzDatabaseFile opens arbitrary bytes as the database file: never a
// panic, and a file that loads answers lookups with well-formed data.
func FuzzDatabaseFile(f *testing.F) {
	good, err := geotest.Bytes(geotest.StandardNetworks())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[len(good)/2:])
	f.Add([]byte("\xab\xcd\xefMaxMind.com"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "db.mmdb")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		db := geo.Open(path, nil)
		defer db.Close()
		for _, s := range []string{geotest.MilanIP, geotest.MilanIPv6, geotest.UnknownIP, "::", "255.255.255.255"} {
			loc, found := db.Lookup(netip.MustParseAddr(s))
			if !db.Available() && found {
				t.Fatalf("no database but Lookup(%s) found %+v", s, loc)
			}
			checkLocation(t, loc, found)
			_ = loc.CountryName("it")
		}
	})
}

func checkLocation(t *testing.T, loc geo.Location, found bool) {
	t.Helper()
	if !found {
		if loc != (geo.Location{}) {
			t.Fatalf("not found but Location = %+v", loc)
		}
		return
	}
	if loc.Country == "" && !loc.HasCoords {
		t.Fatalf("found with neither country nor coordinates: %+v", loc)
	}
	if c := loc.Country; c != "" && (len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z') {
		t.Fatalf("Country = %q, want two upper-case letters", c)
	}
	if loc.HasCoords && (math.IsNaN(loc.Lat) || math.IsNaN(loc.Lon) || math.Abs(loc.Lat) > 90 || math.Abs(loc.Lon) > 180) {
		t.Fatalf("coordinates out of range: %+v", loc)
	}
	if !loc.HasCoords && (loc.Lat != 0 || loc.Lon != 0) {
		t.Fatalf("coordinates without HasCoords: %+v", loc)
	}
}
