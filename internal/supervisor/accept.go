package supervisor

import (
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/builtin"
	"github.com/ginetd/ginetd/internal/listen"
)

// acceptBatch caps the connections accepted per readiness event, so that
// one busy service cannot starve the others or child exits.
const acceptBatch = 16

// ready handles a readable service socket.
func (s *Supervisor) ready(svc *service) {
	switch {
	case svc.waits():
		s.spawnWait(svc)
	case svc.stream():
		s.acceptLoop(svc)
	case svc.cfg.Builtin != "":
		s.datagrams(svc)
	default:
		s.dgramNowait(svc)
	}
}

// acceptLoop accepts up to acceptBatch connections of a nowait stream
// service. It checks the spawn rate before accepting, so that a tripped
// service leaves the client in the kernel's backlog rather than refusing it.
func (s *Supervisor) acceptLoop(svc *service) {
	inline := svc.cfg.Builtin != "" && builtin.Inline(svc.cfg.Builtin)
	flags := unix.SOCK_CLOEXEC
	if svc.cfg.Builtin != "" && !inline {
		flags |= unix.SOCK_NONBLOCK // for the netpoller
	}
	for i := 0; i < acceptBatch && svc.state == Listening; i++ {
		now := time.Now()
		if svc.cfg.Builtin == "" && !svc.rate.allow(now) {
			s.looping(svc, now)
			return
		}
		fd, sa, err := unix.Accept4(svc.sock.FD, flags)
		if err != nil {
			s.acceptError(svc, err)
			return
		}
		svc.pauseDelay = 0
		peer := listen.AddrPort(sa)
		if ok := s.admit(svc, fd, peer, now); !ok {
			continue
		}
		svc.accepted++
		switch {
		case inline:
			builtin.Respond(svc.cfg.Builtin, fd)
			unix.Close(fd)
			s.log.Debug("accept", "svc", svc.label(), "peer", addrString(peer), "builtin", svc.cfg.Builtin)
		case svc.cfg.Builtin != "":
			s.startBuiltin(svc, fd, peer)
		default:
			s.spawnConn(svc, fd, peer)
		}
	}
}

// acceptError handles a failed accept4. Running out of descriptors pauses
// the service briefly (logged once per streak) instead of spinning.
func (s *Supervisor) acceptError(svc *service, err error) {
	switch err {
	case unix.EAGAIN, unix.EINTR, unix.ECONNABORTED, unix.EPROTO:
		return
	case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
		if svc.pauseDelay == 0 {
			s.log.Error("accept-paused", "svc", svc.label(), "err", os.NewSyscallError("accept", err))
			svc.pauseDelay = 5 * time.Millisecond
		} else if svc.pauseDelay < time.Second {
			svc.pauseDelay *= 2
		}
		s.setState(svc, Paused)
		gen := svc.gen
		s.after(time.Now().Add(svc.pauseDelay), func() {
			if svc.gen == gen && svc.state == Paused {
				s.resume(svc)
			}
		})
	default:
		s.log.Error("accept", "svc", svc.label(), "err", os.NewSyscallError("accept", err))
	}
}

// looping trips the spawn-rate breaker: stop polling until the window
// allows another spawn.
func (s *Supervisor) looping(svc *service, now time.Time) {
	at := svc.rate.nextAllowed(now)
	s.log.Error("looping", "svc", svc.label(), "max", svc.rate.max, "per", s.opts.RateInterval, "resume", at.Sub(now).Round(time.Millisecond))
	s.setState(svc, Looping)
	gen := svc.gen
	s.after(at, func() {
		if svc.gen == gen && svc.state == Looping {
			s.log.Info("resume", "svc", svc.label())
			s.resume(svc)
		}
	})
}

// admit applies the per-source limits to an accepted connection. A refused
// connection is closed here and counted.
func (s *Supervisor) admit(svc *service, fd int, peer netip.AddrPort, now time.Time) bool {
	c := svc.cfg
	ip := peer.Addr()
	if c.MaxChildPerIP > 0 && ip.IsValid() && svc.perIP[ip] >= c.MaxChildPerIP {
		s.refuse(svc, fd, peer, "max-child-per-ip")
		return false
	}
	if c.MaxConnPerIPMin > 0 && ip.IsValid() {
		w := svc.ipRate[ip]
		if w == nil {
			w = newWindow(c.MaxConnPerIPMin, time.Minute)
			svc.ipRate[ip] = w
			if len(svc.ipRate) > 4096 {
				s.pruneIPRate(svc, now)
			}
		}
		if !w.allow(now) {
			s.refuse(svc, fd, peer, "max-conn-per-ip-per-minute")
			return false
		}
	}
	return true
}

// pruneIPRate forgets sources whose window has emptied.
func (s *Supervisor) pruneIPRate(svc *service, now time.Time) {
	for ip, w := range svc.ipRate {
		if len(w.times) > 0 && now.Sub(w.times[(w.next+len(w.times)-1)%len(w.times)]) > time.Minute {
			delete(svc.ipRate, ip)
		}
	}
}

// refuse closes a connection refused by a limit, after the service's
// limit_message, and logs why.
func (s *Supervisor) refuse(svc *service, fd int, peer netip.AddrPort, why string) {
	if m := svc.cfg.LimitMessage; m != "" {
		unix.Write(fd, []byte(m+"\r\n"))
	}
	unix.Close(fd)
	svc.refused++
	s.log.Warn("reject", "svc", svc.label(), "peer", addrString(peer), "reason", why)
}

// startBuiltin runs a streaming built-in in its own goroutine; it counts
// as an instance until it reports back.
func (s *Supervisor) startBuiltin(svc *service, fd int, peer netip.AddrPort) {
	f := os.NewFile(uintptr(fd), "conn")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		s.log.Error("builtin", "svc", svc.label(), "peer", addrString(peer), "err", err)
		return
	}
	s.acquire(svc, peer.Addr())
	name, idle := svc.cfg.Builtin, s.opts.Idle
	s.log.Debug("accept", "svc", svc.label(), "peer", addrString(peer), "builtin", name)
	if name == "tcpmux" {
		table := svc.tcpmux
		go s.tcpmux(svc, table, conn, peer)
		return
	}
	go func() {
		builtin.Serve(name, conn, idle)
		conn.Close()
		s.send(func(s *Supervisor) { s.release(svc, peer.Addr()) })
	}()
}

// acquire and release count an instance of svc (a child or a running
// built-in) and its source address.
func (s *Supervisor) acquire(svc *service, ip netip.Addr) {
	svc.instances++
	s.running++
	if ip.IsValid() {
		svc.perIP[ip]++
	}
	if svc.waits() {
		s.setState(svc, Waiting)
	} else if svc.cfg.MaxChild > 0 && svc.instances >= svc.cfg.MaxChild && svc.state == Listening {
		s.setState(svc, Full)
	}
}

func (s *Supervisor) release(svc *service, ip netip.Addr) {
	if svc.instances > 0 {
		svc.instances--
		s.running--
	}
	if ip.IsValid() {
		if n := svc.perIP[ip]; n <= 1 {
			delete(svc.perIP, ip)
		} else {
			svc.perIP[ip] = n - 1
		}
	}
	if svc.state == Waiting || svc.state == Full {
		s.resume(svc)
	}
}

// datagrams answers the requests queued on a nowait datagram built-in's
// socket, inline: recvfrom until EAGAIN (at most acceptBatch), sendto.
func (s *Supervisor) datagrams(svc *service) {
	for i := 0; i < acceptBatch; i++ {
		n, sa, err := unix.Recvfrom(svc.sock.FD, s.buf, unix.MSG_DONTWAIT)
		if err != nil {
			return
		}
		src := listen.AddrPort(sa)
		if builtin.BadSource(src, s.udpPorts) {
			svc.refused++
			s.log.Debug("reject", "svc", svc.label(), "peer", addrString(src), "reason", "bad-source")
			continue
		}
		svc.accepted++
		out, ok := builtin.Reply(svc.cfg.Builtin, s.buf[:n], s.out[:0])
		s.out = out
		if ok {
			unix.Sendto(svc.sock.FD, out, unix.MSG_DONTWAIT, sa)
		}
	}
}
