package supervisor

import (
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/frontdoor"
	"github.com/ginetd/ginetd/internal/listen"
)

// handshakeTimeout bounds a TLS handshake.
const handshakeTimeout = 10 * time.Second

// front reports whether the service has a front door: a PROXY protocol
// header to read or TLS to terminate before the connection is admitted.
func (svc *service) front() bool { return svc.proxy != nil || svc.tls != nil }

// startFront runs the front door of one connection in a goroutine, off the
// loop: read the PROXY header (the real client), then terminate TLS (the
// child gets one end of a socketpair). The loop then admits the
// connection as if it had just accepted it from the real client.
func (s *Supervisor) startFront(svc *service, fd int, peer netip.AddrPort) {
	conn, ok := s.connOf(svc, fd, peer, "accept")
	if !ok {
		return
	}
	proxy, tlsState, local := svc.proxy, svc.tls, svc.sock.Addr
	s.goHold(1) // conn, until the loop has it (the descriptor budget)
	go func() {
		defer s.goFree(1)
		src, dst := peer, local
		if proxy != nil {
			var err error
			src, dst, err = frontdoor.ReadProxy(conn, peer, local, *proxy)
			if err != nil {
				conn.Close()
				s.send(func(s *Supervisor) { s.frontRefused(svc, peer, "proxy-protocol", err) })
				return
			}
		}
		var env []string
		var childFD int
		if tlsState != nil {
			sess, err := tlsState.Terminate(conn, handshakeTimeout)
			if err != nil {
				conn.Close()
				s.send(func(s *Supervisor) { s.frontRefused(svc, src, "tls", err) })
				return
			}
			childFD, env = sess.ChildFD, sess.Env
			s.goHold(2) // the relay's two sockets
			go func() {
				<-sess.Done()
				s.goFree(2)
			}()
		} else {
			// The raw socket goes to the child.
			fd, err := listen.TakeConn(conn)
			if err != nil {
				s.send(func(s *Supervisor) { s.log.Error("accept", "svc", svc.label(), "peer", addrString(src), "err", err) })
				return
			}
			childFD = fd
		}
		if !s.send(func(s *Supervisor) { s.serve(svc, childFD, src, dst, env, s.clock.Now()) }) {
			unix.Close(childFD)
		}
	}()
}

// frontRefused logs and counts a connection the front door turned away.
func (s *Supervisor) frontRefused(svc *service, peer netip.AddrPort, why string, err error) {
	svc.refused++
	s.obs.Refused(svc.label(), why)
	svc.logger(s).Warn("reject", "svc", svc.label(), "peer", addrString(peer), "reason", why, "err", err)
}
