// Package httpx holds the HTTP plumbing shared by the JSON API and the web
// pages: client IP, JSON bodies and errors, session cookies, security headers.
package httpx

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Proxies is the set of trusted reverse proxies.
type Proxies []netip.Prefix

// ParseProxies parses a comma-separated list of CIDR prefixes or addresses
// (VARCO_TRUSTED_PROXIES).
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (ps Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// maxForwardedHops bounds the work done on a hostile X-Forwarded-For.
const maxForwardedHops = 32

// ClientIP returns the address of the client. X-Forwarded-For is believed
// only when the peer (remoteAddr) is a trusted proxy: then the rightmost
// address that is not itself a trusted proxy is the client (SPEC §9a). An
// unparsable entry stops the walk at the last address that was known good.
func ClientIP(remoteAddr string, forwardedFor []string, trusted Proxies) string {
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		if host == "" {
			return "unknown"
		}
		return host
	}
	peer = peer.Unmap().WithZone("")
	if len(trusted) == 0 || !trusted.trusts(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range forwardedFor {
		hops = append(hops, strings.Split(h, ",")...)
		if len(hops) > 4*maxForwardedHops {
			break
		}
	}
	client := peer
	for i, n := len(hops)-1, 0; i >= 0 && n < maxForwardedHops; i, n = i-1, n+1 {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap().WithZone("")
		if !trusted.trusts(client) {
			break
		}
	}
	return client.String()
}
