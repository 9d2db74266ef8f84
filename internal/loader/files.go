package loader

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/config/confread"
	"github.com/ginetd/ginetd/internal/frontdoor"
)

// Size limits of the files a service names. A banner is written to the
// client with one write(2) on the supervisor's loop, so it must fit in a
// new socket's send buffer; PEM files larger than this hold no sane
// certificate chain.
const (
	maxBanner = 4 << 10
	maxPEM    = 1 << 20
)

// readFile reads a file a service names (confread.ReadFile: a regular
// file, without blocking, at most limit bytes); an error is the system's
// or confread's, without the path.
func readFile(path string, limit int64) ([]byte, error) {
	b, err := confread.ReadFile(path, limit)
	return b, unwrap(err)
}

// prepare reads and parses the files s names, so that the supervisor
// never reads a file on its loop: TLS material (a problem is an error: a
// TLS service is never served without it) and banners (a problem is a
// warning: the service runs without the banner, as in xinetd). A false
// result means s is left out.
func prepare(s *config.Service, probs *config.Problems) bool {
	if s.TLSCert != "" {
		t, err := loadTLS(s)
		if err != nil {
			probs.Errorf(s.Pos, "%s: %v", s.Label(), err)
			return false
		}
		s.TLS = t
	}
	s.BannerData = banner(s, "banner", s.Banner, probs)
	s.BannerOKData = banner(s, "banner_success", s.BannerSuccess, probs)
	s.BannerFailData = banner(s, "banner_fail", s.BannerFail, probs)
	return true
}

// loadTLS builds the service's TLS server configuration. Every error names
// the attribute and the file it is about.
func loadTLS(s *config.Service) (*tls.Config, error) {
	certPEM, err := readFile(s.TLSCert, maxPEM)
	if err != nil {
		return nil, fmt.Errorf("tls_cert %s: %w", s.TLSCert, err)
	}
	keyPEM, err := readFile(s.TLSKey, maxPEM)
	if err != nil {
		return nil, fmt.Errorf("tls_key %s: %w", s.TLSKey, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls_cert %s, tls_key %s: %w", s.TLSCert, s.TLSKey, err)
	}
	var pool *x509.CertPool
	if s.TLSClientCA != "" {
		caPEM, err := readFile(s.TLSClientCA, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("tls_client_ca %s: %w", s.TLSClientCA, err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("tls_client_ca %s: no PEM certificate", s.TLSClientCA)
		}
	}
	cfg, err := frontdoor.ServerConfig(cert, pool, s.TLSMinVersion)
	if err != nil {
		return nil, fmt.Errorf("tls_min_version: %w", err)
	}
	return cfg, nil
}

// banner reads one banner file; one that cannot be read is a warning and
// nothing is sent.
func banner(s *config.Service, attr, path string, probs *config.Problems) []byte {
	if path == "" {
		return nil
	}
	b, err := readFile(path, maxBanner)
	if err != nil {
		if errors.Is(err, confread.ErrTooLarge) {
			err = fmt.Errorf("larger than %d bytes", maxBanner)
		}
		probs.Warnf(s.Pos, "%s: %s %s: %v; none is sent", s.Label(), attr, path, err)
		return nil
	}
	return b
}
