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
	version                   string // minimum version, as ServerConfig takes it
	cfg                       atomic.Pointer[tls.Config]
}

// NewTLS loads the certificate chain and key (PEM) and, if clientCAFile is
// not empty, the CA certificates that client certificates must chain to;
// with a client CA every client must present a valid certificate.
// minVersion is "1.2", "1.3" or "" (meaning 1.2).
func NewTLS(certFile, keyFile, clientCAFile, minVersion string) (*TLS, error) {
	t := &TLS{certFile: certFile, keyFile: keyFile, caFile: clientCAFile}
	if _, err := tlsVersion(minVersion); err != nil {
		return nil, err
	}
	t.version = minVersion
	if err := t.Reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// NewTLSConfig returns a TLS serving cfg, a configuration built by
// ServerConfig from material read ahead of time (ginetd's loader does so
// off the supervisor's loop). Its Reload does nothing: a new
// configuration brings a new TLS.
func NewTLSConfig(cfg *tls.Config) *TLS {
	t := &TLS{}
	t.cfg.Store(cfg)
	return t
}

// ServerConfig builds a service's server configuration: cert is its
// certificate chain and key; when clientCAs is not nil, every client must
// present a certificate that chains to it. minVersion is "1.2", "1.3" or
// "" (meaning 1.2); anything else is an error.
func ServerConfig(cert tls.Certificate, clientCAs *x509.CertPool, minVersion string) (*tls.Config, error) {
	v, err := tlsVersion(minVersion)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   v,
	}
	if clientCAs != nil {
		cfg.ClientCAs = clientCAs
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

func tlsVersion(v string) (uint16, error) {
	switch v {
	case "", "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("tls: minimum version %q: want 1.2 or 1.3", v)
}

// Reload reads the certificate, key and client CA files again. On success
// new handshakes use them, and sessions already established go on with
// what they negotiated. On failure the previous configuration stays.
func (t *TLS) Reload() error {
	if t.certFile == "" {
		return nil // NewTLSConfig
	}
	cert, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
	if err != nil {
		return fmt.Errorf("tls: load %s: %w", t.certFile, err)
	}
	var pool *x509.CertPool
	if t.caFile != "" {
		pem, err := os.ReadFile(t.caFile)
		if err != nil {
			return fmt.Errorf("tls: load client CA: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("tls: load client CA %s: %w", t.caFile, errors.New("no PEM certificate"))
		}
	}
	cfg, err := ServerConfig(cert, pool, t.version)
	if err != nil {
		return err
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
