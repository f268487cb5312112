package varco

import "testing"

// FuzzLoadTimeZone: a zone name comes from users; any input is refused
// cleanly or loads the zone it names, never the server's own zone or a file.
func FuzzLoadTimeZone(f *testing.F) {
	for _, s := range []string{"Europe/Rome", "UTC", "", "Local", "../../etc/passwd", "/etc/localtime", "America/New_York", "Mars/Olympus"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		loc, err := LoadTimeZone(name)
		if err != nil {
			if ErrorCode(err) != EInvalid {
				t.Fatalf("%q: %v", name, err)
			}
			return
		}
		if name == "Local" || name == "" || loc.String() != name {
			t.Fatalf("%q loaded as %q", name, loc)
		}
	})
}
