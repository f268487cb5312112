package smtpsink

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
)

// Mail is a message the sink received.
type Mail struct {
	From     string   // envelope sender (MAIL FROM)
	To       []string // envelope recipients (RCPT TO)
	Header   mail.Header
	Subject  string // Subject, RFC 2047-decoded
	Text     string // the first text/plain part, decoded, with "\n" line ends
	HTML     string // the first text/html part, decoded, with "\n" line ends
	Raw      []byte // the message as received
	AuthUser string // the user that authenticated the session, "" without AUTH
	TLS      bool   // whether the session was encrypted
	Err      error  // non-nil when Raw could not be parsed; the fields above are then partial
}

// maxDepth bounds multipart nesting.
const maxDepth = 8

// Parse parses a raw RFC 5322 message: headers, the decoded subject, and
// the first text/plain and text/html parts (quoted-printable and base64
// decoded). It never fails: a problem is reported in Mail.Err.
func Parse(raw []byte) Mail {
	m := Mail{Raw: raw, Header: mail.Header{}}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Err = fmt.Errorf("read message: %w", err)
		return m
	}
	m.Header = msg.Header
	dec := mime.WordDecoder{}
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.Err = fmt.Errorf("decode subject: %w", err)
		m.Subject = msg.Header.Get("Subject")
	}
	if err := m.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0); err != nil {
		m.Err = errors.Join(m.Err, err)
	}
	return m
}

func (m *Mail) walk(contentType, encoding string, body io.Reader, depth int) error {
	if depth > maxDepth {
		return errors.New("MIME nesting too deep")
	}
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// Raw parts: this code decodes quoted-printable itself, the
			// way a mail client would.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := m.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); err != nil {
				return err
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		_, err := io.Copy(io.Discard, body)
		return err
	}
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &stripSpace{r: body})
	case "", "7bit", "8bit", "binary":
		r = body
	default:
		return fmt.Errorf("unknown Content-Transfer-Encoding %q", encoding)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("decode %s body: %w", mediaType, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch {
	case mediaType == "text/plain" && m.Text == "":
		m.Text = text
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = text
	}
	return nil
}

// stripSpace drops the line breaks and spaces base64 bodies are wrapped with.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// linkRE finds http(s) links in text; trailing punctuation is trimmed after.
var linkRE = regexp.MustCompile(`https?://[^\s<>"']+`)

// FindLink returns the first http(s) link in text whose path starts with
// pathPrefix (e.g. "/password-reset"), ignoring punctuation that ends a
// sentence after it.
func FindLink(text, pathPrefix string) (*url.URL, bool) {
	for _, s := range linkRE.FindAllString(text, -1) {
		s = strings.TrimRight(s, ".,;:!?)]}")
		u, err := url.Parse(s)
		if err != nil {
			continue
		}
		if strings.HasPrefix(u.Path, pathPrefix) {
			return u, true
		}
	}
	return nil, false
}

// SixDigitCode returns the 6-digit code in text: the one run of exactly six
// ASCII digits (SPEC §9a: a PIN is the only 6-digit number in text/plain).
// It reports false when there is none, or when there are different ones.
func SixDigitCode(text string) (string, bool) {
	code := ""
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		if j-i == 6 {
			if code != "" && code != text[i:j] {
				return "", false
			}
			code = text[i:j]
		}
		i = j
	}
	return code, code != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
