package frontdoor

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Session is a terminated TLS connection being relayed to a child.
type Session struct {
	// ChildFD is a blocking, close-on-exec AF_UNIX stream socket: the
	// child's fds 0, 1 and 2. The caller closes it once the child is
	// started (or could not be); the relay ends when the child and every
	// copy of ChildFD are gone.
	ChildFD int
	// Env describes the connection for the child: TLS_VERSION (TLS1.2,
	// TLS1.3), TLS_CIPHER (TLS_AES_128_GCM_SHA256, ...) and, when the
	// client presented a certificate, TLS_CLIENT_SUBJECT (RFC 2253, as
	// "CN=alice,O=Example", with control characters escaped: see
	// ClientSubject).
	Env []string

	r *Relay
}

// Done is closed when the relay has ended and the client connection and
// every descriptor the session created, except ChildFD, are closed.
func (s *Session) Done() <-chan struct{} { return s.r.done }

// Close ends the relay at once without a close_notify, as on an error,
// and returns without waiting for Done. It does not close ChildFD.
func (s *Session) Close() error {
	s.r.abort()
	return nil
}

// Terminate performs the server side of a TLS handshake on c within
// handshakeTimeout (zero means no limit) and then relays plain bytes
// between the client and the returned Session's ChildFD in two
// goroutines. On success the session owns c and closes it when the relay
// ends. On failure it returns an error and leaves c open (with no
// deadline) for the caller to close; everything Terminate created is
// closed.
func (t *TLS) Terminate(c net.Conn, handshakeTimeout time.Duration) (*Session, error) {
	peer := c.RemoteAddr()
	fail := func(err error) (*Session, error) {
		return nil, fmt.Errorf("tls: terminate %s: %w", peer, err)
	}
	tc := tls.Server(c, t.cfg.Load())
	if handshakeTimeout > 0 {
		if err := c.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
			return fail(err)
		}
	}
	err := tc.Handshake()
	c.SetDeadline(time.Time{})
	if err != nil {
		return fail(fmt.Errorf("handshake: %w", err))
	}
	ours, child, err := socketpair()
	if err != nil {
		return fail(err)
	}
	s := &Session{ChildFD: child, Env: tlsEnv(tc.ConnectionState())}
	s.r = startRelay(c, tc, ours)
	return s, nil
}

// socketpair returns our end as a *net.UnixConn in the netpoller and the
// child's end as a blocking descriptor.
func socketpair() (ours *net.UnixConn, child int, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, -1, os.NewSyscallError("socketpair", err)
	}
	f := os.NewFile(uintptr(fds[0]), "frontdoor-relay")
	c, err := net.FileConn(f) // a non-blocking duplicate
	f.Close()
	if err != nil {
		unix.Close(fds[1])
		return nil, -1, err
	}
	return c.(*net.UnixConn), fds[1], nil
}

// tlsEnv returns the environment entries describing cs.
func tlsEnv(cs tls.ConnectionState) []string {
	env := []string{
		"TLS_VERSION=" + strings.ReplaceAll(tls.VersionName(cs.Version), " ", ""),
		"TLS_CIPHER=" + tls.CipherSuiteName(cs.CipherSuite),
	}
	if len(cs.PeerCertificates) > 0 {
		env = append(env, "TLS_CLIENT_SUBJECT="+ClientSubject(cs.PeerCertificates[0]))
	}
	return env
}
