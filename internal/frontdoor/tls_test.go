package frontdoor

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func dialTLS(t testing.TB, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func TestTerminateEcho(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	srv := startServer(t, p.newTLS(t, true, ""), []string{"/bin/cat"})
	c := dialTLS(t, srv.addr(), p.clientConfig(p.client))

	// 1 MiB each way at once, then the client's close_notify must reach
	// cat as EOF, and cat's exit must reach the client as EOF.
	data := make([]byte, 1<<20)
	rand.Read(data)
	go func() {
		c.Write(data)
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echoed %d bytes, want the %d sent", len(got), len(data))
	}
	if code := srv.waitExit(t); code != 0 {
		t.Errorf("cat exited %d", code)
	}
}

func TestTerminateEnv(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name    string
		minVer  string
		certs   []tls.Certificate
		subject string
		version string
	}{
		{name: "client cert", certs: []tls.Certificate{p.client}, subject: "CN=alice,O=Example", version: "TLS1.3"},
		// A newline in the CN must not start a second variable (or
		// line) in what the child prints.
		{name: "hostile subject", certs: []tls.Certificate{p.ca.issueNow(t, pkix.Name{CommonName: "eve\nLD_PRELOAD=/tmp/x.so\r\x1b[2J"}, false)},
			subject: `CN=eve\0ALD_PRELOAD=/tmp/x.so\0D\1B[2J`, version: "TLS1.3"},
		{name: "no client CA", version: "TLS1.3"},
		{name: "tls 1.2", version: "TLS1.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := p.newTLS(t, tc.certs != nil, tc.minVer)
			srv := startServer(t, tl, []string{"/usr/bin/env"})
			cfg := p.clientConfig(tc.certs...)
			if tc.version == "TLS1.2" {
				cfg.MaxVersion = tls.VersionTLS12
			}
			c := dialTLS(t, srv.addr(), cfg)
			sess := <-srv.sessions
			// The client neither writes nor closes: the child's exit alone
			// ends the session.
			out, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			select {
			case <-sess.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("session did not end after the child exited")
			}
			env := map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				k, v, _ := strings.Cut(l, "=")
				env[k] = v
			}
			if env["TLS_VERSION"] != tc.version {
				t.Errorf("TLS_VERSION = %q, want %q", env["TLS_VERSION"], tc.version)
			}
			if cs := c.ConnectionState(); env["TLS_CIPHER"] != tls.CipherSuiteName(cs.CipherSuite) {
				t.Errorf("TLS_CIPHER = %q, want %q", env["TLS_CIPHER"], tls.CipherSuiteName(cs.CipherSuite))
			}
			if _, ok := env["LD_PRELOAD"]; ok {
				t.Errorf("the subject forged a variable: %q", out)
			}
			if s, ok := env["TLS_CLIENT_SUBJECT"]; s != tc.subject || ok != (tc.subject != "") {
				t.Errorf("TLS_CLIENT_SUBJECT = %q (set %v), want %q", s, ok, tc.subject)
			}
		})
	}
}

func TestTerminateRefused(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	srv := startServer(t, p.newTLS(t, true, "1.3"), []string{"/bin/cat"})
	cases := []struct {
		name string
		cfg  *tls.Config
	}{
		{"expired client cert", p.clientConfig(p.expired)},
		{"client cert from another CA", p.clientConfig(p.wrongClient)},
		{"no client cert", p.clientConfig()},
		{"tls 1.2 below minimum", func() *tls.Config { c := p.clientConfig(p.client); c.MaxVersion = tls.VersionTLS12; return c }()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tls.Dial("tcp", srv.addr(), tc.cfg)
			if err == nil {
				// In TLS 1.3 the client finishes first; the refusal
				// arrives on the first read.
				c.SetDeadline(time.Now().Add(5 * time.Second))
				_, err = c.Read(make([]byte, 1))
				c.Close()
			}
			if err == nil {
				t.Error("client was not refused")
			}
			if serr := srv.waitErr(t); !strings.Contains(serr.Error(), "handshake") {
				t.Errorf("server error %v", serr)
			}
		})
	}
	select {
	case code := <-srv.exits:
		t.Errorf("a child ran (exit %d)", code)
	default:
	}
}

// TestTerminateChildShutsFirst: the child shuts down its output but still
// reads; the client sees EOF, then sends, and the child gets it all.
func TestTerminateChildShutsFirst(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, p.newTLS(t, false, ""), []string{exe}, childEnv+"=shutwr")
	c := dialTLS(t, srv.addr(), p.clientConfig())
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "bye\n" {
		t.Fatalf("read %q, %v; want bye and EOF", got, err)
	}
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	if code := srv.waitExit(t); code != 0 {
		t.Errorf("child exited %d, want 0 (it read what the client sent after EOF)", code)
	}
}

// TestTerminateChildExitsWhileClientSends: the child writes its output and
// exits without reading; the client, still sending, must get all of it.
func TestTerminateChildExitsWhileClientSends(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, p.newTLS(t, false, ""), []string{exe}, childEnv+"=bigout")
	c := dialTLS(t, srv.addr(), p.clientConfig())
	go func() {
		junk := make([]byte, 64<<10)
		for {
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	}()
	n, err := io.Copy(io.Discard, c)
	if err != nil || n != bigOut {
		t.Errorf("client read %d bytes, %v; want %d and EOF", n, err, bigOut)
	}
	if code := srv.waitExit(t); code != 0 {
		t.Errorf("child exited %d", code)
	}
	<-(<-srv.sessions).Done()
}

// TestTerminateClientReset: the client vanishes with a RST while cat
// waits for input; cat must see EOF and the session end.
func TestTerminateClientReset(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	srv := startServer(t, p.newTLS(t, false, ""), []string{"/bin/cat"})
	c := dialTLS(t, srv.addr(), p.clientConfig())
	c.Write([]byte("x"))
	buf := make([]byte, 1)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	c.NetConn().(*net.TCPConn).SetLinger(0)
	c.NetConn().Close()
	srv.waitExit(t)
}

func TestTerminateHandshakeTimeout(t *testing.T) {
	p := newPKI(t)
	tl := p.newTLS(t, false, "")
	client, server := tcpPair(t)
	start := time.Now()
	_, err := tl.Terminate(server, 100*time.Millisecond)
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	// The connection is the caller's and still open.
	if _, err := server.Write([]byte("!")); err != nil {
		t.Fatalf("connection closed by Terminate: %v", err)
	}
	client.SetReadDeadline(time.Now().Add(time.Second))
	if b, _ := io.ReadAll(io.LimitReader(client, 1)); string(b) != "!" {
		t.Errorf("client read %q", b)
	}
}

func TestSessionClose(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	srv := startServer(t, p.newTLS(t, false, ""), []string{"/bin/cat"})
	c := dialTLS(t, srv.addr(), p.clientConfig())
	sess := <-srv.sessions
	sess.Close()
	// The connection ends (with or without an error, as no close_notify
	// was sent) rather than hanging until the client's deadline.
	io.ReadAll(c)
	srv.waitExit(t)
	<-sess.Done()
}

func TestReload(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	tl := p.newTLS(t, false, "")
	srv := startServer(t, tl, []string{"/bin/cat"})
	old := dialTLS(t, srv.addr(), p.clientConfig())
	if cn := old.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "localhost" {
		t.Fatalf("CN %q", cn)
	}

	// A broken file leaves the old configuration in place.
	os.WriteFile(p.serverCert, []byte("garbage"), 0o600)
	if err := tl.Reload(); err == nil {
		t.Fatal("Reload of a broken certificate succeeded")
	}
	dialTLS(t, srv.addr(), p.clientConfig()).Close()

	// A new certificate is used by new handshakes only.
	writePEM(t, p.dir, "server", p.ca.issueNow(t, pkix.Name{CommonName: "renewed"}, true))
	if err := tl.Reload(); err != nil {
		t.Fatal(err)
	}
	c := dialTLS(t, srv.addr(), p.clientConfig())
	if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "renewed" {
		t.Errorf("after Reload CN %q, want renewed", cn)
	}
	c.Close()
	old.Write([]byte("still here\n"))
	old.CloseWrite()
	if b, err := io.ReadAll(old); err != nil || string(b) != "still here\n" {
		t.Errorf("old session read %q, %v", b, err)
	}
	for range 3 {
		srv.waitExit(t)
	}
}

func TestNewTLSErrors(t *testing.T) {
	p := newPKI(t)
	if _, err := NewTLS(p.serverCert, p.serverKey, "", "1.1"); err == nil {
		t.Error("minimum version 1.1 accepted")
	}
	if _, err := NewTLS(p.serverCert, p.serverKey, p.serverKey, ""); err == nil {
		t.Error("a key accepted as client CA")
	}
	if _, err := NewTLS(p.dir+"/missing.pem", p.serverKey, "", ""); err == nil {
		t.Error("missing certificate accepted")
	}
}

func TestClientSubject(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"CN=alice,O=Example", "CN=alice,O=Example"},
		{"CN=a b=c\\,d", "CN=a b=c\\,d"},
		{"CN=Zoë 日本", "CN=Zoë 日本"},
		{"CN=x\ny", `CN=x\0Ay`},
		{"CN=\x00\x7f\t", `CN=\00\7F\09`},
		{"CN=a bc", `CN=a\E2\80\A8b\C2\85c`},
		{"CN=\xff\xfe", `CN=\FF\FE`},
		{"", ""},
	} {
		if got := escapeSubject(tc.in); got != tc.want {
			t.Errorf("escapeSubject(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Through the certificate, as TLS_CLIENT_SUBJECT gets it.
	cert := newCA(t, "CN with\nnewline").cert
	if got, want := ClientSubject(cert), `CN=CN with\0Anewline,O=ginetd test`; got != want {
		t.Errorf("ClientSubject = %q, want %q", got, want)
	}
}
