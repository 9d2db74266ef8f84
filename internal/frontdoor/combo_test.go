package frontdoor

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// noLeaks fails t if goroutines outlive it; call it first, so that its
// check runs after every other cleanup.
func noLeaks(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

// TestProxyThenTLS: a load balancer's PROXY header followed by the
// client's TLS handshake on the same connection, as a service with both
// proxy_protocol and TLS sees it.
func TestProxyThenTLS(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	tl := p.newTLS(t, true, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		src  string
		sess *Session
		err  error
	}
	res := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			res <- result{err: err}
			return
		}
		peer, local := addrs(c)
		src, _, err := ReadProxy(c, peer, local, ProxyPolicy{Trusted: loopback, Required: true, Timeout: 5 * time.Second})
		if err != nil {
			c.Close()
			res <- result{err: err}
			return
		}
		s, err := tl.Terminate(c, 5*time.Second)
		if err != nil {
			c.Close()
		}
		res <- result{src: src.String(), sess: s, err: err}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	raw.Write(v2(1, 0x11, v4addrs("203.0.113.9", "198.51.100.2", 40000, 443)))
	c := tls.Client(raw, p.clientConfig(p.client))
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.src != "203.0.113.9:40000" {
		t.Errorf("src = %s", r.src)
	}

	// ChildFD is blocking and close-on-exec, as a child's fds 0-2 and
	// everyone else's children need.
	fl, err := unix.FcntlInt(uintptr(r.sess.ChildFD), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_NONBLOCK != 0 {
		t.Errorf("ChildFD flags %#x, %v: want blocking", fl, err)
	}
	if fd, err := unix.FcntlInt(uintptr(r.sess.ChildFD), unix.F_GETFD, 0); err != nil || fd&unix.FD_CLOEXEC == 0 {
		t.Errorf("ChildFD fd flags %#x, %v: want FD_CLOEXEC", fd, err)
	}

	// Echo through the ChildFD by hand.
	f := os.NewFile(uintptr(r.sess.ChildFD), "child")
	go func() {
		io.Copy(f, f)
		f.Close()
	}()
	c.Write([]byte("after proxy and tls\n"))
	c.CloseWrite()
	if b, err := io.ReadAll(c); err != nil || string(b) != "after proxy and tls\n" {
		t.Errorf("read %q, %v", b, err)
	}
	<-r.sess.Done()
}
