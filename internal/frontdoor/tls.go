package frontdoor

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// TLS is a service's TLS configuration: certificate, key, optional client
// CA and minimum version. It is safe for concurrent use; Reload replaces
// the configuration for handshakes that start afterwards.
type TLS struct {
	certFile, keyFile, caFile string
	minVersion                uint16
	cfg                       atomic.Pointer[tls.Config]
}

// NewTLS loads the certificate chain and key (PEM) and, if clientCAFile is
// not empty, the CA certificates that client certificates must chain to;
// with a client CA every client must present a valid certificate.
// minVersion is "1.2", "1.3" or "" (meaning 1.2).
func NewTLS(certFile, keyFile, clientCAFile, minVersion string) (*TLS, error) {
	t := &TLS{certFile: certFile, keyFile: keyFile, caFile: clientCAFile}
	switch minVersion {
	case "", "1.2":
		t.minVersion = tls.VersionTLS12
	case "1.3":
		t.minVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("tls: minimum version %q: want 1.2 or 1.3", minVersion)
	}
	if err := t.Reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// Reload reads the certificate, key and client CA files again. On success
// new handshakes use them, and sessions already established go on with
// what they negotiated. On failure the previous configuration stays.
func (t *TLS) Reload() error {
	cert, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
	if err != nil {
		return fmt.Errorf("tls: load %s: %w", t.certFile, err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   t.minVersion,
	}
	if t.caFile != "" {
		pem, err := os.ReadFile(t.caFile)
		if err != nil {
			return fmt.Errorf("tls: load client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("tls: load client CA %s: %w", t.caFile, errors.New("no PEM certificate"))
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	t.cfg.Store(cfg)
	return nil
}

// Config returns the configuration new handshakes use. It must not be
// modified.
func (t *TLS) Config() *tls.Config {
	return t.cfg.Load()
}

// ClientSubject formats a client certificate's subject as
// TLS_CLIENT_SUBJECT carries it: RFC 2253 ("CN=alice,O=Example", as
// pkix.Name.String writes it), with every byte of a control character,
// of any other character that is not printable (U+2028 LINE SEPARATOR,
// U+0085 NEXT LINE, ...) and of invalid UTF-8 written as an RFC 4514
// hex pair ("\0A" for a newline). The result is printable text on one
// line: a subject cannot end the variable early, start another one or a
// second line in the child's output or a log.
func ClientSubject(cert *x509.Certificate) string {
	return escapeSubject(cert.Subject.String())
}

// escapeSubject writes the non-printable characters of s as hex pairs.
func escapeSubject(s string) string {
	clean := true
	for _, r := range s {
		if !printable(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if printable(r) {
			b = append(b, s[i:i+n]...)
		} else {
			for _, c := range []byte(s[i : i+n]) {
				b = append(b, '\\', hex[c>>4], hex[c&15])
			}
		}
		i += n
	}
	return string(b)
}

// printable reports a rune that ClientSubject leaves as it is: printable
// and not the replacement of invalid UTF-8 (which is escaped byte by byte).
func printable(r rune) bool {
	return r != utf8.RuneError && (r == ' ' || unicode.IsPrint(r))
}
