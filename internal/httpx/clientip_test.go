package httpx

import "testing"

func TestClientIP(t *testing.T) {
	local, err := ParseProxies("127.0.0.1/32, ::1/128, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted Proxies
		want    string
	}{
		{"no proxy configured ignores header", "198.51.100.7:5555", []string{"203.0.113.9"}, nil, "198.51.100.7"},
		{"untrusted peer ignores header", "198.51.100.7:5555", []string{"203.0.113.9"}, local, "198.51.100.7"},
		{"trusted peer, one hop", "127.0.0.1:5555", []string{"203.0.113.9"}, local, "203.0.113.9"},
		{"rightmost untrusted wins over spoofed left", "127.0.0.1:1", []string{"1.2.3.4, 203.0.113.9"}, local, "203.0.113.9"},
		{"skips trusted hops", "127.0.0.1:1", []string{"203.0.113.9, 10.1.2.3"}, local, "203.0.113.9"},
		{"several headers", "127.0.0.1:1", []string{"1.2.3.4", "203.0.113.9"}, local, "203.0.113.9"},
		{"garbage stops at last good", "127.0.0.1:1", []string{"203.0.113.9, garbage"}, local, "127.0.0.1"},
		{"ipv6 peer", "[::1]:443", []string{"2001:db8::1"}, local, "2001:db8::1"},
		{"mapped v4", "[::ffff:127.0.0.1]:443", []string{"203.0.113.9"}, local, "203.0.113.9"},
		{"no header from proxy", "127.0.0.1:1", nil, local, "127.0.0.1"},
		{"all hops trusted", "127.0.0.1:1", []string{"10.0.0.1"}, local, "10.0.0.1"},
		{"remote without port", "192.0.2.1", nil, nil, "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClientIP(tt.remote, tt.xff, tt.trusted); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseProxiesRejectsGarbage(t *testing.T) {
	for _, s := range []string{"nonsense", "10.0.0.0/99", "1.2.3"} {
		if _, err := ParseProxies(s); err == nil {
			t.Errorf("ParseProxies(%q) accepted garbage", s)
		}
	}
}

func FuzzClientIP(f *testing.F) {
	local, _ := ParseProxies("127.0.0.1/32,::1/128")
	f.Add("127.0.0.1:1", "203.0.113.9, 10.0.0.1")
	f.Add("[::1]:1", "2001:db8::1,,,")
	f.Add("garbage", "1.1.1.1")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		got := ClientIP(remote, []string{xff}, local)
		if got == "" && remote != "" {
			t.Fatalf("empty client IP for remote %q", remote)
		}
	})
}

func FuzzParseProxies(f *testing.F) {
	f.Add("127.0.0.1/32,::1/128")
	f.Add("10.0.0.1, 2001:db8::/32")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseProxies(s)
		if err == nil {
			for _, p := range ps {
				if !p.IsValid() {
					t.Fatalf("invalid prefix accepted from %q", s)
				}
			}
		}
	})
}
