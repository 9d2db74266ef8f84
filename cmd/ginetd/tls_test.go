package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// gencert DIR: write a test PKI into DIR: ca.pem; server.pem/server.key for
// 127.0.0.1; client certificates alice (valid), expired (expired),
// mallory (signed by another CA) and eve (valid, with the hostile CN
// "eve\nLD_PRELOAD=/tmp/evil.so\r"), each NAME.pem/NAME.key.
func cmdGenCert(ts *testscript.TestScript, neg bool, args []string) {
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	ca, caKey := newCert(ts, nil, nil, "Test CA", true, time.Now().Add(24*time.Hour))
	other, otherKey := newCert(ts, nil, nil, "Other CA", true, time.Now().Add(24*time.Hour))
	writePEM(ts, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	for _, c := range []struct {
		name   string
		issuer *x509.Certificate
		key    *ecdsa.PrivateKey
		expiry time.Time
		cn     string
	}{
		{"server", ca, caKey, time.Now().Add(24 * time.Hour), ""},
		{"alice", ca, caKey, time.Now().Add(24 * time.Hour), ""},
		{"expired", ca, caKey, time.Now().Add(-time.Hour), ""},
		{"mallory", other, otherKey, time.Now().Add(24 * time.Hour), ""},
		{"eve", ca, caKey, time.Now().Add(24 * time.Hour), "eve\nLD_PRELOAD=/tmp/evil.so\r"},
	} {
		cn := c.cn
		if cn == "" {
			cn = c.name
		}
		cert, key := newCert(ts, c.issuer, c.key, cn, false, c.expiry)
		writePEM(ts, filepath.Join(dir, c.name+".pem"), "CERTIFICATE", cert.Raw)
		der, err := x509.MarshalECPrivateKey(key)
		ts.Check(err)
		writePEM(ts, filepath.Join(dir, c.name+".key"), "EC PRIVATE KEY", der)
	}
}

func newCert(ts *testscript.TestScript, issuer *x509.Certificate, issuerKey *ecdsa.PrivateKey, cn string, isCA bool, notAfter time.Time) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Example"}},
		NotBefore:    time.Now().Add(-2 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:         isCA, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if issuer == nil {
		issuer, issuerKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, issuerKey)
	ts.Check(err)
	cert, err := x509.ParseCertificate(der)
	ts.Check(err)
	return cert, key
}

func writePEM(ts *testscript.TestScript, path, typ string, der []byte) {
	ts.Check(os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}

// tlsdial [-cert DIR/NAME] CAFILE ADDR [INPUT]: a TLS client (verifying the
// server against CAFILE, optionally presenting NAME.pem/NAME.key): send
// INPUT, close the write side, print everything read. With !, the
// handshake or the first read must fail.
func cmdTLSDial(ts *testscript.TestScript, neg bool, args []string) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(args) > 1 && args[0] == "-cert" {
		pair, err := tls.LoadX509KeyPair(ts.MkAbs(args[1])+".pem", ts.MkAbs(args[1])+".key")
		ts.Check(err)
		cfg.Certificates = []tls.Certificate{pair}
		args = args[2:]
	}
	caPEM, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	cfg.RootCAs = x509.NewCertPool()
	cfg.RootCAs.AppendCertsFromPEM(caPEM)
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", args[1], cfg)
	if err != nil {
		if neg {
			return
		}
		ts.Fatalf("tlsdial: %v", err)
	}
	defer c.Close()
	// The answer comes from a child, which on a loaded machine can take
	// seconds to start; a refusal is expected at once.
	if neg {
		c.SetDeadline(time.Now().Add(5 * time.Second))
	} else {
		c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if len(args) > 2 {
		io.WriteString(c, strings.ReplaceAll(strings.Join(args[2:], " "), `\n`, "\n"))
	}
	c.CloseWrite()
	b, err := io.ReadAll(c)
	ts.Stdout().Write(b)
	if neg {
		if err == nil && len(b) > 0 {
			ts.Fatalf("tlsdial: got %q, want a failure", b)
		}
		return
	}
	if err != nil {
		ts.Fatalf("tlsdial: read: %v", err)
	}
}
