package httpx

import (
	"net/url"
	"strings"
)

// Redacted replaces a secret in what is logged.
const Redacted = "REDACTED"

// LogPath is a request path as the logs may show it (SPEC §9a: a login
// flow id is a secret): the segment after /api/v1/login/ and any segment
// shaped like a random token (20 or more base64url characters with a digit
// or a capital letter) become REDACTED. Logs never show the query string,
// where reset, not-me and verification links carry their tokens.
func LogPath(path string) string {
	if !needsRedaction(path) {
		return (&url.URL{Path: path}).EscapedPath()
	}
	segs := strings.Split(path, "/")
	var head [4]string
	for i, s := range segs {
		if secretSegment(i, s, &head) {
			segs[i] = Redacted
		}
	}
	return (&url.URL{Path: strings.Join(segs, "/")}).EscapedPath()
}

// secretSegment reports whether s, segment i of a path, is a secret to
// redact: a login flow id (/api/v1/login/{flow}) or a token. Called for
// each segment in order, it keeps the path's first segments in head.
func secretSegment(i int, s string, head *[4]string) bool {
	if i < len(head) {
		head[i] = s
	}
	return (i == 4 && head[1] == "api" && head[2] == "v1" && head[3] == "login" && s != "") || tokenLike(s)
}

// tokenLike reports whether s looks like a random token rather than a
// word or a number: long, base64url only, with a digit or a capital letter.
func tokenLike(s string) bool {
	if len(s) < 20 {
		return false
	}
	mixed := false
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z':
			mixed = true
		case c >= 'a' && c <= 'z', c == '-', c == '_', c == '=':
		default:
			return false
		}
	}
	return mixed
}

// needsRedaction reports, without allocating, whether LogPath has a
// segment of path to redact: most paths have none.
func needsRedaction(path string) bool {
	var head [4]string
	i := 0
	for s := range strings.SplitSeq(path, "/") {
		if secretSegment(i, s, &head) {
			return true
		}
		i++
	}
	return false
}
