// Package geo locates client IP addresses with a MaxMind DB file in the
// GeoLite2-City layout (GeoLite2-City, GeoIP2-City, DB-IP City Lite, …).
//
// The database is optional and never fatal: with no file, a missing file or a
// corrupt one every lookup answers "unknown" and the risk rules fall back to
// the client's network. The file is read into memory (not memory-mapped, so an
// operator overwriting it in place cannot crash the process) and checked again
// at most once per CheckInterval; a changed file is loaded in the background
// and replaces the old one only if it opens and verifies.
package geo

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"

	"varco.dev/varco/internal/clock"
)

// DefaultCheckInterval is how often, at most, the file is checked for
// changes.
const DefaultCheckInterval = 10 * time.Second

// MaxAccuracyKm is the largest accuracy radius (km) at which a database's
// coordinates still count as a place. Beyond it they only say "somewhere in
// this country" (GeoLite2 puts country-level guesses at the country's centre
// with a radius of about 1,000 km), and a distance measured from them would
// make a user at home look far away; such a Location has HasCoords false.
const MaxAccuracyKm = 500

// Location is what the database knows about an address. The zero value means
// unknown.
type Location struct {
	// Country is the ISO 3166-1 alpha-2 code, "" if unknown.
	Country string
	// City is the city's English name, "" if unknown.
	City string
	// Lat and Lon are meaningful only when HasCoords is true.
	Lat, Lon  float64
	HasCoords bool
	// AccuracyKm is the database's accuracy radius, 0 if it gives none.
	AccuracyKm int

	// The database's own country names, the fallback of CountryName.
	nameEN, nameIT string
}

// CountryName returns the location's country name in lang ("it", "en"), or ""
// when the country is unknown.
func (l Location) CountryName(lang string) string {
	if l.Country == "" {
		return ""
	}
	db := l.nameEN
	if lang == "it" && l.nameIT != "" {
		db = l.nameIT
	}
	return countryName(l.Country, lang, db)
}

// Options configure New.
type Options struct {
	// Path of the .mmdb file; "" means no database.
	Path string
	// Logger receives one line per state change (loaded, unavailable,
	// replaced, rejected); nil discards them.
	Logger *slog.Logger
	// Clock paces the change checks; nil means the wall clock.
	Clock clock.Clock
	// CheckInterval is the least time between two checks of the file for
	// changes; 0 means DefaultCheckInterval, negative means never (only
	// CheckNow reloads).
	CheckInterval time.Duration
}

// DB answers lookups from the current database. It is safe for concurrent
// use; lookups never wait for a reload.
type DB struct {
	path     string
	log      *slog.Logger
	clock    clock.Clock
	interval time.Duration

	cur atomic.Pointer[maxminddb.Reader] // nil: no database

	// nextCheck is the earliest time (UnixNano) a lookup may start a check.
	nextCheck atomic.Int64

	mu       sync.Mutex // serializes checks and reloads
	seen     fileState  // the file as last examined, loaded or not
	reloadWG sync.WaitGroup
	loading  bool
	closed   bool
}

// fileState identifies a version of the file.
type fileState struct {
	exists bool
	size   int64
	mtime  time.Time
	info   os.FileInfo // for os.SameFile: a rename over the path is a change
	errMsg string      // why it is not there, when !exists
}

func (a fileState) same(b fileState) bool {
	if a.exists != b.exists {
		return false
	}
	if !a.exists {
		return a.errMsg == b.errMsg
	}
	return a.size == b.size && a.mtime.Equal(b.mtime) && os.SameFile(a.info, b.info)
}

// Open returns a DB reading path with the default options. It never fails: a
// missing or unreadable file is logged and lookups answer unknown until a
// good file appears.
func Open(path string, log *slog.Logger) *DB {
	return New(Options{Path: path, Logger: log})
}

// New returns a DB configured by opts, with the file loaded if it is there
// and valid. It never fails; see Open.
func New(opts Options) *DB {
	d := &DB{
		path:     opts.Path,
		log:      opts.Logger,
		clock:    opts.Clock,
		interval: opts.CheckInterval,
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.clock == nil {
		d.clock = clock.Real{}
	}
	if d.interval == 0 {
		d.interval = DefaultCheckInterval
	}
	if d.path == "" {
		d.log.Info("geoip: no database configured; the risk rules use the client's IP network (/24, /48) instead of its location")
		return d
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checkLocked()
	d.scheduleNext()
	return d
}

// Available reports whether a database is loaded.
func (d *DB) Available() bool {
	return d.cur.Load() != nil
}

// Lookup returns what the database knows about ip. ok is false when there is
// no database, the address is not in it (private and reserved addresses
// never are), or the record has neither a country nor coordinates.
// IPv4-mapped IPv6 addresses are looked up as IPv4.
func (d *DB) Lookup(ip netip.Addr) (loc Location, ok bool) {
	d.maybeCheck()
	reader := d.cur.Load()
	if reader == nil || !ip.IsValid() {
		return Location{}, false
	}
	ip = ip.Unmap().WithZone("")
	var rec record
	if err := reader.Lookup(ip).Decode(&rec); err != nil {
		// A verified database does not fail here; if it does, the
		// address is simply unknown. The IP is not logged: it is personal
		// data, and the error says enough.
		d.log.Debug("geoip: lookup failed", "err", err)
		return Location{}, false
	}
	return rec.location()
}

// record is the part of a GeoLite2-City record varco reads.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   struct {
			EN string `maxminddb:"en"`
			IT string `maxminddb:"it"`
		} `maxminddb:"names"`
	} `maxminddb:"country"`
	City struct {
		Names struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
	Location struct {
		Latitude       *float64 `maxminddb:"latitude"`
		Longitude      *float64 `maxminddb:"longitude"`
		AccuracyRadius int      `maxminddb:"accuracy_radius"`
	} `maxminddb:"location"`
}

func (r *record) location() (Location, bool) {
	loc := Location{
		City:       r.City.Names.EN,
		AccuracyKm: r.Location.AccuracyRadius,
		nameEN:     r.Country.Names.EN,
		nameIT:     r.Country.Names.IT,
	}
	if code, ok := alpha2(r.Country.ISOCode); ok {
		loc.Country = code
	}
	if lat, lon := r.Location.Latitude, r.Location.Longitude; lat != nil && lon != nil &&
		validCoords(*lat, *lon) && loc.AccuracyKm <= MaxAccuracyKm {
		loc.Lat, loc.Lon, loc.HasCoords = *lat, *lon, true
	}
	if loc.Country == "" && !loc.HasCoords {
		return Location{}, false
	}
	return loc, true
}

func validCoords(lat, lon float64) bool {
	return !math.IsNaN(lat) && !math.IsNaN(lon) &&
		lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// CheckNow looks at the file at once and, if it changed since it was last
// examined, loads it before returning. A file that fails to load leaves the
// previous database in use. It reports whether a new database was loaded.
func (d *DB) CheckNow() bool {
	if d.path == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.scheduleNext()
	return d.checkLocked()
}

// Close stops using the database. Lookups afterwards answer unknown. It waits
// for a reload in progress and always returns nil.
func (d *DB) Close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.reloadWG.Wait()
	d.cur.Store(nil)
	return nil
}

func (d *DB) scheduleNext() {
	if d.interval < 0 {
		d.nextCheck.Store(math.MaxInt64)
		return
	}
	d.nextCheck.Store(d.clock.Now().Add(d.interval).UnixNano())
}

// maybeCheck starts a check in the background when one is due. The lookup
// that triggers it does not wait: a stat is cheap, but loading a 60 MB
// database is not.
func (d *DB) maybeCheck() {
	if d.path == "" {
		return
	}
	next := d.nextCheck.Load()
	now := d.clock.Now().UnixNano()
	if now < next || !d.nextCheck.CompareAndSwap(next, math.MaxInt64) {
		return
	}
	// A check or reload in progress holds the lock for as long as loading
	// takes; never make a lookup wait for it.
	if !d.mu.TryLock() {
		d.scheduleNext()
		return
	}
	defer d.mu.Unlock()
	if d.closed || d.loading {
		d.scheduleNext()
		return
	}
	d.loading = true
	d.reloadWG.Add(1)
	go func() {
		defer d.reloadWG.Done()
		d.mu.Lock()
		defer d.mu.Unlock()
		d.loading = false
		if !d.closed {
			d.checkLocked()
		}
		d.scheduleNext()
	}()
}

// checkLocked examines the file and loads it if it differs from what was
// last seen, and reports whether it loaded a new database. Callers hold d.mu.
func (d *DB) checkLocked() bool {
	st := stat(d.path)
	if st.same(d.seen) {
		return false
	}
	d.seen = st
	if !st.exists {
		if d.cur.Load() != nil {
			d.log.Warn("geoip: database file is gone; still using the one loaded before", "path", d.path, "err", st.errMsg)
		} else {
			d.log.Error("geoip: database unavailable; locations are unknown and the risk rules use the client's IP network instead", "path", d.path, "err", st.errMsg)
		}
		return false
	}
	reader, err := load(d.path)
	if err != nil {
		if d.cur.Load() != nil {
			d.log.Error("geoip: new database file rejected; still using the one loaded before", "path", d.path, "err", err)
		} else {
			d.log.Error("geoip: database unusable; locations are unknown and the risk rules use the client's IP network instead", "path", d.path, "err", err)
		}
		return false
	}
	old := d.cur.Swap(reader)
	msg := "geoip: database loaded"
	if old != nil {
		msg = "geoip: database reloaded"
	}
	md := reader.Metadata
	d.log.Info(msg, "path", d.path, "type", md.DatabaseType, "build_time", md.BuildTime().UTC().Format(time.RFC3339), "size", st.size)
	// The old reader is not closed: lookups may still be using it, and a
	// reader over a byte slice holds nothing the garbage collector cannot
	// reclaim.
	return true
}

func stat(path string) fileState {
	fi, err := os.Stat(path)
	if err != nil {
		return fileState{errMsg: errorText(err)}
	}
	if !fi.Mode().IsRegular() {
		return fileState{errMsg: "not a regular file"}
	}
	return fileState{exists: true, size: fi.Size(), mtime: fi.ModTime(), info: fi}
}

// errorText drops the path from *PathError, which the log line carries
// already.
func errorText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// maxFileSize bounds what is read into memory; GeoLite2-City is about 60 MB
// and GeoIP2-City about 130 MB.
const maxFileSize = 1 << 30

// load reads, opens and verifies the database at path.
func load(path string) (*maxminddb.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("file is %d bytes, more than the %d allowed", fi.Size(), maxFileSize)
	}
	buf := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	reader, err := maxminddb.OpenBytes(buf)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := reader.Verify(); err != nil {
		return nil, fmt.Errorf("verify database: %w", err)
	}
	return reader, nil
}
