package supervisor

import (
	"net"
	"net/netip"
	"time"

	"github.com/ginetd/ginetd/internal/frontdoor"
)

// redirectDial bounds the connection to a redirect target.
const redirectDial = 10 * time.Second

// startRedirect proxies a connection to the service's redirect host:port
// (xinetd's redirect) in a goroutine, through the front door's relay
// (frontdoor.Relay: half-close both ways, the client's unread bytes
// drained before the close). It counts as an instance until the relay
// has ended.
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
		up, err := net.DialTimeout("tcp", target, redirectDial)
		if err != nil {
			conn.Close()
			s.send(func(s *Supervisor) {
				svc.failed++
				s.log.Error("redirect", "svc", svc.label(), "peer", addrString(peer), "target", target, "err", err)
			})
			return
		}
		start := time.Now()
		r := frontdoor.StartRelay(conn, up.(*net.TCPConn))
		<-r.Done()
		in, out := r.Bytes()
		s.send(func(s *Supervisor) {
			svc.logger(s).Info("redirect-end", "svc", svc.label(), "peer", addrString(peer), "in", in, "out", out, "dur", time.Since(start))
		})
	}()
}
