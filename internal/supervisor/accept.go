package supervisor

import (
	"net"
	"net/netip"
	"os"
	"strings"
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
	case s.holding: // an upgrade is starting (see rotates)
		s.setState(svc, Paused)
	default:
		s.dgramNowait(svc)
	}
}

// acceptLoop accepts up to acceptBatch connections of a nowait stream
// service. It checks the spawn rate before accepting, so that a tripped
// service leaves the client in the kernel's backlog rather than refusing it.
func (s *Supervisor) acceptLoop(svc *service) {
	// A connection served off the loop (the netpoller) or on it in the
	// epoll set (a Loop built-in) is non-blocking from accept4 on; one
	// answered with one write and closed, or given to a child, is not.
	flags := unix.SOCK_CLOEXEC
	if (svc.bi != nil && svc.bi.Mode != builtin.Answer) || svc.cfg.Redirect != "" || svc.front() {
		flags |= unix.SOCK_NONBLOCK
	}
	for i := 0; i < acceptBatch && svc.state == Listening; i++ {
		if s.fdsLow() {
			s.fdPause(svc)
			return
		}
		now := s.clock.Now()
		if svc.cfg.Builtin == "" && svc.rate.Next(now).After(now) {
			// Out of spawns. The first round of a wake-up knows a client
			// waits; later ones do not, and epoll wakes us again if so.
			if i == 0 {
				s.looping(svc, now)
			}
			return
		}
		fd, peer, err := listen.Accept(svc.sock.FD, flags)
		if err != nil {
			s.acceptError(svc, err)
			return
		}
		if svc.cfg.Builtin == "" {
			svc.rate.Allow(now)
		}
		svc.pauseDelay = 0
		if svc.front() {
			s.startFront(svc, fd, peer)
			continue
		}
		s.serve(svc, fd, peer, svc.sock.Addr, nil, now)
	}
}

// serve admits a connection and hands it to what the service runs: a
// redirect, an inline or goroutine built-in, or a child. fd is ginetd's
// to close. local and env come from the front door when there is one.
func (s *Supervisor) serve(svc *service, fd int, peer, local netip.AddrPort, env []string, now time.Time) {
	if svc.banner != nil {
		unix.Write(fd, svc.banner)
	}
	if ok := s.admit(svc, fd, peer, now); !ok {
		return
	}
	svc.accepted++
	s.obs.Accepted(svc.label())
	s.sockopts(svc, fd)
	if svc.cfg.TCPMuxPlus {
		unix.Write(fd, []byte("+Go\r\n"))
	}
	if svc.bannerOK != nil {
		unix.Write(fd, svc.bannerOK)
	}
	switch {
	case svc.cfg.Redirect != "":
		s.startRedirect(svc, fd, peer)
	case svc.bi == nil:
		s.spawnConn(svc, fd, peer, local, env, now)
	case svc.bi.Mode == builtin.Answer:
		// One write on a fresh socket: its send buffer holds far more
		// than an answer, so the write cannot block.
		s.out, _ = svc.bi.Reply(s.out[:0], nil)
		unix.Write(fd, s.out)
		unix.Close(fd)
		s.log.Debug("accept", "svc", svc.label(), "peer", addrString(peer), "builtin", svc.bi.Name)
	case svc.bi.Mode == builtin.Loop:
		s.startInline(svc, fd, peer)
	default:
		s.startBuiltin(svc, fd, peer)
	}
}

// sockopts applies xinetd's NODELAY and KEEPALIVE flags to a connection.
func (s *Supervisor) sockopts(svc *service, fd int) {
	if svc.cfg.NoDelay {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if svc.cfg.KeepAlive {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
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
		s.after(s.clock.Now().Add(svc.pauseDelay), func() {
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
	at := svc.rate.Next(now)
	s.log.Error("looping", "svc", svc.label(), "max", svc.rate.Max(), "per", s.opts.RateInterval, "resume", at.Sub(now).Round(time.Millisecond))
	s.holdUntil(svc, Looping, at)
}

// verdict is check's answer: why a client is refused ("" if it is not),
// what it reads before the close, and until when the service pauses.
type verdict struct {
	why     string
	msg     []byte
	pauseTo time.Time
}

// check applies access control and the per-client limits to a client, in
// xinetd's order: sensor deny list, only_from/no_access and access_times,
// hosts.allow/hosts.deny, cps, max_load, instances (when refusesWhenFull),
// per-source concurrency and rate.
// It records what an admitted client counts against (rates, sensor).
func (s *Supervisor) check(svc *service, peer netip.AddrPort, now time.Time) verdict {
	c := svc.cfg
	ip := peer.Addr()
	if !ip.IsValid() { // a unix socket: no address to judge
		if svc.overInstances() {
			return verdict{why: "instances", msg: svc.limitMessage()}
		}
		return svc.checkSpawnRate(now)
	}
	if s.sensor.Len() > 0 && s.sensor.Denied(ip, now) {
		return verdict{why: "sensor", msg: svc.bannerFail}
	}
	if c.Policy != nil {
		if ok, why := c.Policy.Allowed(ip, now); !ok {
			return verdict{why: why, msg: svc.bannerFail}
		}
	}
	if s.opts.Hosts != nil && !c.NoLibwrap {
		var local netip.Addr
		if svc.sock != nil {
			local = svc.sock.Addr.Addr()
		}
		if ok, rule := s.opts.Hosts.Check(svc.daemon, ip, local); !ok {
			return verdict{why: "hosts_access " + rule, msg: svc.bannerFail}
		}
	}
	if c.Sensor {
		s.sensor.Add(ip, c.DenyTime, now)
		return verdict{why: "sensor-trip"}
	}
	if svc.cps != nil {
		if ok, resume := svc.cps.Allow(now); !ok {
			return verdict{why: "cps", msg: svc.limitMessage(), pauseTo: resume}
		}
	}
	if svc.load != nil {
		if over, _ := svc.load.Overloaded(); over {
			return verdict{why: "max_load", msg: svc.limitMessage()}
		}
	}
	if svc.overInstances() {
		return verdict{why: "instances", msg: svc.limitMessage()}
	}
	if c.MaxChildPerIP > 0 && svc.perIP.Count(ip) >= c.MaxChildPerIP {
		return verdict{why: "per-source", msg: svc.limitMessage()}
	}
	if svc.ipRate != nil && !svc.ipRate.Allow(ip, now) {
		return verdict{why: "per-source-rate", msg: svc.limitMessage()}
	}
	return svc.checkSpawnRate(now)
}

// checkSpawnRate judges a tcpmux sub-service's client by the spawn rate.
// A service with a socket of its own checks the rate before it accepts
// (acceptLoop) and leaves clients in the backlog; a sub-service's client
// has already been accepted and named it, so it is refused instead.
func (svc *service) checkSpawnRate(now time.Time) verdict {
	if svc.cfg.TCPMux && !svc.rate.Allow(now) {
		return verdict{why: "looping", msg: svc.limitMessage()}
	}
	return verdict{}
}

// admit checks an accepted connection; a refused one is closed here, after
// its message, and counted.
func (s *Supervisor) admit(svc *service, fd int, peer netip.AddrPort, now time.Time) bool {
	v := s.check(svc, peer, now)
	if v.why == "" {
		return true
	}
	s.refuse(svc, fd, peer, v.why, v.msg)
	if !v.pauseTo.IsZero() {
		s.pause(svc, v.pauseTo, v.why)
	}
	return false
}

// admitDatagram checks the sender of a datagram; for a refused one it
// logs, counts and reports false: the caller drops the datagram unanswered.
func (s *Supervisor) admitDatagram(svc *service, src netip.AddrPort, now time.Time) bool {
	v := s.check(svc, src, now)
	if v.why == "" {
		return true
	}
	svc.refused++
	s.obs.Refused(svc.label(), v.why)
	svc.logger(s).Warn("reject", "svc", svc.label(), "peer", addrString(src), "reason", v.why)
	if !v.pauseTo.IsZero() {
		s.pause(svc, v.pauseTo, v.why)
	}
	return false
}

// limitMessage is what a client refused by a limit reads: limit_message,
// else banner_fail.
func (svc *service) limitMessage() []byte {
	if m := svc.cfg.LimitMessage; m != "" {
		return []byte(m + "\r\n")
	}
	return svc.bannerFail
}

// refusesWhenFull reports whether a client over the instance limit is
// accepted, sent the limit message and closed, as ipsvd does, rather than
// left in the listen backlog: for a nowait stream service with
// limit_message or banner_fail, and for a tcpmux sub-service, which has
// no backlog of its own (docs/ginetd.conf.5).
func (svc *service) refusesWhenFull() bool {
	return svc.maxChild() > 0 && svc.stream() && !svc.waits() &&
		(svc.cfg.LimitMessage != "" || len(svc.bannerFail) > 0 || svc.cfg.TCPMux)
}

// overInstances reports whether a client of a refusesWhenFull service
// finds every instance taken.
func (svc *service) overInstances() bool {
	return svc.refusesWhenFull() && svc.instances >= svc.maxChild()
}

// pause stops polling svc until at (xinetd's cps pause).
func (s *Supervisor) pause(svc *service, at time.Time, why string) {
	s.log.Warn("pause", "svc", svc.label(), "reason", why, "resume", at.Sub(s.clock.Now()).Round(time.Millisecond))
	s.holdUntil(svc, Paused, at)
}

// refuse closes a refused connection at once, after msg (banner_fail or
// limit_message; the write cannot block on a fresh socket; see
// lingerClose), and logs why.
// A tcpmux sub-service's client reads RFC 1078's negative answer, "-"
// and msg (or "Service not available") on one line.
func (s *Supervisor) refuse(svc *service, fd int, peer netip.AddrPort, why string, msg []byte) {
	if svc.cfg.TCPMux {
		text := strings.TrimRight(string(msg), "\r\n")
		if text == "" {
			text = "Service not available"
		}
		msg = []byte("-" + text + "\r\n")
	}
	if len(msg) > 0 {
		unix.Write(fd, msg)
		s.lingerClose(fd)
	} else {
		unix.Close(fd)
	}
	svc.refused++
	s.obs.Refused(svc.label(), why)
	svc.logger(s).Warn("reject", "svc", svc.label(), "peer", addrString(peer), "reason", why)
}

// startBuiltin runs a Goroutine or Mux built-in in its own goroutine; it counts
// as an instance until it reports back.
func (s *Supervisor) startBuiltin(svc *service, fd int, peer netip.AddrPort) {
	conn, ok := s.connOf(svc, fd, peer, "builtin")
	if !ok {
		return
	}
	s.acquire(svc, peer.Addr())
	bi, idle := svc.bi, s.opts.Idle
	s.log.Debug("accept", "svc", svc.label(), "peer", addrString(peer), "builtin", bi.Name)
	if bi.Mode == builtin.Mux {
		go s.tcpmux(svc, svc.tcpmux, svc.tcpmuxHelp, conn, peer)
		return
	}
	stopLifetime := func() bool { return false }
	if d := svc.cfg.MaxLifetime; d > 0 {
		stopLifetime = time.AfterFunc(d, func() {
			s.send(func(s *Supervisor) {
				s.log.Warn("lifetime", "svc", svc.label(), "peer", addrString(peer), "max", d)
			})
			conn.Close()
		}).Stop
	}
	go func() {
		bi.Serve(conn, idle)
		stopLifetime()
		conn.Close()
		s.send(func(s *Supervisor) { s.release(svc, peer.Addr()) })
	}()
}

// acquire and release count an instance of svc (a child or a running
// built-in) and its source address.
func (s *Supervisor) acquire(svc *service, ip netip.Addr) {
	svc.instances++
	s.running++
	s.obs.Running(svc.label(), svc.instances)
	if ip.IsValid() {
		svc.perIP.Acquire(ip, 0)
	}
	if svc.waits() {
		s.setState(svc, Waiting)
	} else if m := svc.maxChild(); m > 0 && svc.instances >= m && svc.state == Listening && !svc.refusesWhenFull() {
		s.setState(svc, Full)
	}
}

func (s *Supervisor) release(svc *service, ip netip.Addr) {
	if svc.instances > 0 {
		svc.instances--
		s.running--
		s.obs.Running(svc.label(), svc.instances)
	}
	if ip.IsValid() {
		svc.perIP.Release(ip)
	}
	if svc.state == Waiting || svc.state == Full {
		s.resume(svc)
	}
	s.fdResume()
}

// datagrams answers the requests queued on a nowait datagram built-in's
// socket, inline: recvfrom until EAGAIN (at most acceptBatch), sendto.
func (s *Supervisor) datagrams(svc *service) {
	from := &s.from
	for i := 0; i < acceptBatch; i++ {
		n, err := listen.RecvFrom(svc.sock.FD, s.buf, unix.MSG_DONTWAIT, from)
		if err != nil {
			return
		}
		src := from.AddrPort()
		if builtin.BadSource(src, s.udpPorts) {
			svc.refused++
			s.log.Debug("reject", "svc", svc.label(), "peer", addrString(src), "reason", "bad-source")
			continue
		}
		if !s.admitDatagram(svc, src, s.clock.Now()) {
			continue
		}
		svc.accepted++
		out, ok := svc.bi.Reply(s.out[:0], s.buf[:n])
		s.out = out
		if ok {
			listen.SendTo(svc.sock.FD, out, unix.MSG_DONTWAIT, from)
		}
	}
}

// connOf wraps an accepted descriptor as a net.Conn for a goroutine that
// serves it. fd itself is closed either way (the Conn holds a duplicate);
// a failure is logged under event.
func (s *Supervisor) connOf(svc *service, fd int, peer netip.AddrPort, event string) (net.Conn, bool) {
	f := os.NewFile(uintptr(fd), "conn")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		s.log.Error(event, "svc", svc.label(), "peer", addrString(peer), "err", err)
		return nil, false
	}
	return conn, true
}

// holdUntil keeps svc out of the epoll set in state st until at, then
// resumes it, unless something else has changed its state meanwhile.
func (s *Supervisor) holdUntil(svc *service, st State, at time.Time) {
	s.setState(svc, st)
	gen := svc.gen
	s.after(at, func() {
		if svc.gen == gen && svc.state == st {
			s.log.Info("resume", "svc", svc.label())
			s.resume(svc)
		}
	})
}
