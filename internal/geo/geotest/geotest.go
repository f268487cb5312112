// Package geotest writes small MaxMind DB files in the GeoLite2-City layout
// for tests. Only tests import it.
//
// The Standard fixture maps these networks (public, non-reserved ranges; the
// data is invented for tests and says nothing about who really uses them):
//
//	2.32.0.0/16        IT  Milan     45.4643, 9.1895   sample MilanIP    2.32.10.1
//	2.33.0.0/16        IT  Milan     45.4643, 9.1895   sample MilanIP2   2.33.20.2 (another network, same city)
//	2001:b07::/32      IT  Milan     45.4643, 9.1895   sample MilanIPv6  2001:b07:1::1
//	2.34.0.0/16        IT  Rome      41.8919, 12.5113  sample RomeIP     2.34.10.1
//	2.2.0.0/16         FR  Paris     48.8534, 2.3488   sample ParisIP    2.2.10.1
//	12.0.0.0/16        US  New York  40.7128, -74.0060 sample NewYorkIP  12.0.10.1
//	2.35.0.0/16        IT  (country only, accuracy 1000 km) sample ItalyOnlyIP 2.35.10.1
//
// Any other public address (e.g. UnknownIP, 8.8.8.8) and every private or
// loopback address is not in the database.
package geotest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Sample addresses, one per network of the Standard fixture, for lookups and
// X-Forwarded-For headers.
const (
	MilanIP     = "2.32.10.1"
	MilanIP2    = "2.33.20.2"
	MilanIPv6   = "2001:b07:1::1"
	RomeIP      = "2.34.10.1"
	ParisIP     = "2.2.10.1"
	NewYorkIP   = "12.0.10.1"
	ItalyOnlyIP = "2.35.10.1"
	// UnknownIP is public but in none of the Standard networks.
	UnknownIP = "5.5.5.5"
)

// Coordinates of the Standard cities.
const (
	MilanLat, MilanLon     = 45.4643, 9.1895
	RomeLat, RomeLon       = 41.8919, 12.5113
	ParisLat, ParisLon     = 48.8534, 2.3488
	NewYorkLat, NewYorkLon = 40.7128, -74.0060
)

// Network is one record of a test database.
type Network struct {
	// CIDR is the network, IPv4 or IPv6.
	CIDR string
	// Country is the ISO code ("" leaves the country out); its English and
	// Italian names are written too when Names says so.
	Country string
	// City is the English city name ("" leaves the city out).
	City string
	// Lat and Lon are written as the location unless both are 0.
	Lat, Lon float64
	// AccuracyKm is written as location.accuracy_radius when not 0.
	AccuracyKm int
	// CountryNames are written as country.names (language → name).
	CountryNames map[string]string
}

// Standard returns the path of a database with the networks listed in the
// package comment.
func Standard(t testing.TB) string {
	t.Helper()
	return Build(t, StandardNetworks())
}

// StandardNetworks returns the networks of the Standard fixture.
func StandardNetworks() []Network {
	return []Network{
		{CIDR: "2.32.0.0/16", Country: "IT", City: "Milan", Lat: MilanLat, Lon: MilanLon, AccuracyKm: 20,
			CountryNames: map[string]string{"en": "Italy"}},
		{CIDR: "2.33.0.0/16", Country: "IT", City: "Milan", Lat: MilanLat, Lon: MilanLon, AccuracyKm: 50},
		{CIDR: "2001:b07::/32", Country: "IT", City: "Milan", Lat: MilanLat, Lon: MilanLon, AccuracyKm: 100},
		{CIDR: "2.34.0.0/16", Country: "IT", City: "Rome", Lat: RomeLat, Lon: RomeLon, AccuracyKm: 20},
		{CIDR: "2.2.0.0/16", Country: "FR", City: "Paris", Lat: ParisLat, Lon: ParisLon, AccuracyKm: 20,
			CountryNames: map[string]string{"en": "France"}},
		{CIDR: "12.0.0.0/16", Country: "US", City: "New York", Lat: NewYorkLat, Lon: NewYorkLon, AccuracyKm: 10},
		{CIDR: "2.35.0.0/16", Country: "IT", Lat: 43, Lon: 12, AccuracyKm: 1000},
	}
}

// Build writes a database holding nets to a new temporary directory and
// returns its path. It fails the test on a malformed network.
func Build(t testing.TB, nets []Network) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "GeoLite2-City.mmdb")
	Write(t, path, nets)
	return path
}

// Write writes a database holding nets to path, replacing it atomically
// (write to a temporary file, then rename), as a database updater does.
func Write(t testing.TB, path string, nets []Network) {
	t.Helper()
	data, err := Bytes(nets)
	if err != nil {
		t.Fatalf("geotest: %v", err)
	}
	replace(t, path, data)
}

// WriteCorrupt replaces path with a file that is not a MaxMind DB.
func WriteCorrupt(t testing.TB, path string) {
	t.Helper()
	replace(t, path, []byte("this is not a MaxMind DB file\n"))
}

// WriteTruncated replaces path with the first half of a valid database
// holding nets, as if a download had been cut.
func WriteTruncated(t testing.TB, path string, nets []Network) {
	t.Helper()
	data, err := Bytes(nets)
	if err != nil {
		t.Fatalf("geotest: %v", err)
	}
	replace(t, path, data[:len(data)/2])
}

// replace writes data to path through a rename and gives it a modification
// time later than the previous file's, so a change is seen even on file
// systems with coarse timestamps.
func replace(t testing.TB, path string, data []byte) {
	t.Helper()
	mtime := time.Now()
	if fi, err := os.Stat(path); err == nil && !fi.ModTime().Before(mtime) {
		mtime = fi.ModTime().Add(time.Second)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatalf("geotest: write: %v", err)
	}
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		t.Fatalf("geotest: chtimes: %v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatalf("geotest: rename: %v", err)
	}
}

// Bytes returns a database holding nets in the GeoLite2-City layout.
func Bytes(nets []Network) ([]byte, error) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoLite2-City",
		Description:  map[string]string{"en": "varco test database"},
		Languages:    []string{"en", "it"},
		IPVersion:    6,
		RecordSize:   28,
		// A fixed build time keeps the files reproducible.
		BuildEpoch: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix(),
		// Tests may map documentation or private ranges on purpose.
		IncludeReservedNetworks: true,
	})
	if err != nil {
		return nil, fmt.Errorf("new tree: %w", err)
	}
	for _, n := range nets {
		_, ipnet, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			return nil, fmt.Errorf("network %q: %w", n.CIDR, err)
		}
		if err := tree.Insert(ipnet, n.record()); err != nil {
			return nil, fmt.Errorf("insert %s: %w", n.CIDR, err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	return buf.Bytes(), nil
}

func (n Network) record() mmdbtype.Map {
	rec := mmdbtype.Map{}
	if n.Country != "" {
		country := mmdbtype.Map{"iso_code": mmdbtype.String(n.Country)}
		if len(n.CountryNames) > 0 {
			names := mmdbtype.Map{}
			for lang, name := range n.CountryNames {
				names[mmdbtype.String(lang)] = mmdbtype.String(name)
			}
			country["names"] = names
		}
		rec["country"] = country
	}
	if n.City != "" {
		rec["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(n.City)}}
	}
	if n.Lat != 0 || n.Lon != 0 {
		loc := mmdbtype.Map{
			"latitude":  mmdbtype.Float64(n.Lat),
			"longitude": mmdbtype.Float64(n.Lon),
		}
		if n.AccuracyKm != 0 {
			loc["accuracy_radius"] = mmdbtype.Uint16(n.AccuracyKm)
		}
		rec["location"] = loc
	}
	return rec
}

// BuildLarge writes a database of about the shape of the real GeoLite2-City
// for benchmarks: ipv4 random /24 networks and ipv4/4 random /48 IPv6
// networks, each mapped to one of 2,000 invented cities whose records carry
// what the real ones do (continent, country, registered country, city,
// subdivision and postal code, names in eight languages, time zone). It
// returns the path and one address inside each network. The same seed
// gives the same database.
func BuildLarge(tb testing.TB, ipv4 int, seed uint64) (string, []netip.Addr) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoLite2-City",
		Description:  map[string]string{"en": "varco benchmark database"},
		Languages:    []string{"de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"},
		IPVersion:    6,
		RecordSize:   28,
		BuildEpoch:   time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix(),
	})
	if err != nil {
		tb.Fatalf("geotest: new tree: %v", err)
	}
	names := func(base string) mmdbtype.Map {
		m := mmdbtype.Map{}
		for _, lang := range []string{"de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"} {
			m[mmdbtype.String(lang)] = mmdbtype.String(base + " (" + lang + ")")
		}
		return m
	}
	countries := []string{"IT", "FR", "DE", "US", "GB", "ES", "NL", "CH", "AT", "BR", "JP", "IN", "CN", "RU", "CA", "AU"}
	cities := make([]mmdbtype.Map, 2000)
	for i := range cities {
		cc := countries[rng.IntN(len(countries))]
		country := mmdbtype.Map{
			"geoname_id": mmdbtype.Uint32(rng.Uint32()),
			"iso_code":   mmdbtype.String(cc),
			"names":      names("Country " + cc),
		}
		cities[i] = mmdbtype.Map{
			"continent":          mmdbtype.Map{"code": mmdbtype.String("EU"), "geoname_id": mmdbtype.Uint32(6255148), "names": names("Europe")},
			"country":            country,
			"registered_country": country,
			"city":               mmdbtype.Map{"geoname_id": mmdbtype.Uint32(rng.Uint32()), "names": names(fmt.Sprintf("City %d", i))},
			"location": mmdbtype.Map{
				"accuracy_radius": mmdbtype.Uint16(5 + rng.IntN(200)),
				"latitude":        mmdbtype.Float64(rng.Float64()*140 - 70),
				"longitude":       mmdbtype.Float64(rng.Float64()*360 - 180),
				"time_zone":       mmdbtype.String("Europe/Rome"),
			},
			"postal": mmdbtype.Map{"code": mmdbtype.String(fmt.Sprintf("%05d", rng.IntN(100000)))},
			"subdivisions": mmdbtype.Slice{mmdbtype.Map{
				"geoname_id": mmdbtype.Uint32(rng.Uint32()),
				"iso_code":   mmdbtype.String("25"),
				"names":      names(fmt.Sprintf("Region %d", i%100)),
			}},
		}
	}
	var samples []netip.Addr
	seen := make(map[netip.Prefix]bool)
	insert := func(p netip.Prefix) {
		if seen[p] {
			return
		}
		seen[p] = true
		ipnet := &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
		if err := tree.Insert(ipnet, cities[rng.IntN(len(cities))]); err != nil {
			// Reserved ranges are refused; skip them.
			return
		}
		a := p.Addr().As16()
		a[15] |= 1
		ip := netip.AddrFrom16(a)
		if p.Addr().Is4() {
			ip = ip.Unmap()
		}
		samples = append(samples, ip)
	}
	for range ipv4 {
		v := rng.Uint32() &^ 0xff
		insert(netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), 0}), 24))
	}
	for range ipv4 / 4 {
		var a [16]byte
		a[0] = 0x20 | byte(rng.IntN(16)) // 2000::/4, global unicast
		for i := 1; i < 6; i++ {
			a[i] = byte(rng.UintN(256))
		}
		insert(netip.PrefixFrom(netip.AddrFrom16(a), 48))
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		tb.Fatalf("geotest: write: %v", err)
	}
	path := filepath.Join(tb.TempDir(), "GeoLite2-City-large.mmdb")
	replace(tb, path, buf.Bytes())
	return path, samples
}
