package supervisor

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// redirectDial bounds the connection to a redirect target.
const redirectDial = 10 * time.Second

// startRedirect proxies a connection to the service's redirect host:port
// (xinetd's redirect) in a goroutine, both directions with half-close. It
// counts as an instance until both directions are done.
func (s *Supervisor) startRedirect(svc *service, fd int, peer netip.AddrPort) {
	conn, ok := s.connOf(svc, fd, peer, "redirect")
	if !ok {
		return
	}
	s.acquire(svc, peer.Addr())
	s.goHold(1) // the upstream connection
	target := svc.cfg.Redirect
	svc.logger(s).Info("accept", "svc", svc.label(), "peer", addrString(peer), "redirect", target)
	go func() {
		defer s.send(func(s *Supervisor) {
			s.goFDs.Add(-1)
			s.release(svc, peer.Addr())
		})
		defer conn.Close()
		up, err := net.DialTimeout("tcp", target, redirectDial)
		if err != nil {
			s.send(func(s *Supervisor) {
				svc.failed++
				s.log.Error("redirect", "svc", svc.label(), "peer", addrString(peer), "target", target, "err", err)
			})
			return
		}
		defer up.Close()
		start := time.Now()
		in, out := relay(conn, up)
		s.send(func(s *Supervisor) {
			svc.logger(s).Info("redirect-end", "svc", svc.label(), "peer", addrString(peer), "in", in, "out", out, "dur", time.Since(start))
		})
	}()
}

// halfCloser is a connection whose write side can be shut down alone.
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

// relay copies a→b and b→a until both directions end, passing each EOF on
// as a half-close. It returns the bytes read from a and from b (xinetd's
// TRAFFIC).
func relay(a, b net.Conn) (fromA, fromB int64) {
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn, n *int64) {
		defer wg.Done()
		*n, _ = io.Copy(dst, src)
		if hc, ok := dst.(halfCloser); ok {
			hc.CloseWrite()
		} else {
			dst.Close()
		}
	}
	go pipe(a, b, &fromB)
	go pipe(b, a, &fromA)
	wg.Wait()
	return fromA, fromB
}
