package supervisor

import (
	"log/slog"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/listen"
	"github.com/ginetd/ginetd/internal/spawn"
)

// child is a running process started for a service.
type child struct {
	pid   int
	pidfd int
	errfd int // the trampoline's error pipe while it runs, or -1
	svc   *service
	peer  netip.AddrPort
	start time.Time
	// handedOver: the next ginetd of an upgrade watches it and applies
	// max_lifetime (see Handover); this one only reaps it.
	handedOver bool
	lifetime   *timer // max_lifetime's, cancelled when it ends
}

// spawnConn starts a nowait child on the accepted connection fd and closes
// ginetd's copy of it.
func (s *Supervisor) spawnConn(svc *service, fd int, peer, local netip.AddrPort, env []string, since time.Time) {
	if !local.IsValid() || local.Addr().IsUnspecified() {
		if sa, err := unix.Getsockname(fd); err == nil {
			if a := listen.AddrPort(sa); a.IsValid() {
				local = a
			}
		}
	}
	s.spawn(svc, fd, peer, local, since, env...)
	unix.Close(fd)
}

// spawnWait starts a wait service's child on the service socket itself and
// stops polling the socket until the child exits. The datagram or
// connection that woke the loop is left for the child.
func (s *Supervisor) spawnWait(svc *service) {
	now := s.clock.Now()
	var peer netip.AddrPort
	if !svc.stream() {
		// Learn the sender without consuming the datagram, and judge it;
		// a refused datagram is read and dropped.
		if _, err := listen.RecvFrom(svc.sock.FD, s.buf[:1], unix.MSG_PEEK|unix.MSG_DONTWAIT, &s.from); err == nil {
			peer = s.from.AddrPort()
		}
		if !s.admitDatagram(svc, peer, now) {
			listen.RecvFrom(svc.sock.FD, s.buf, unix.MSG_DONTWAIT, &s.from)
			return
		}
	}
	if !svc.rate.Allow(now) {
		s.looping(svc, now)
		return
	}
	svc.accepted++
	// The socket is blocking for the child, as inetd gives it, even if
	// the child before set O_NONBLOCK on the file description it shares
	// (a Go server does). No other child of it runs now.
	svc.sock.ForceBlocking()
	if !s.spawn(svc, svc.sock.FD, peer, svc.sock.Addr, now) {
		// Consume what woke us, or the socket stays readable and the
		// loop would spin on a service that cannot start.
		if svc.stream() {
			if fd, _, err := unix.Accept4(svc.sock.FD, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK); err == nil {
				unix.Close(fd)
			}
		} else {
			unix.Recvfrom(svc.sock.FD, s.buf, unix.MSG_DONTWAIT)
		}
	}
}

// dgramNowait starts one child per datagram, as udpsvd does: the child gets
// the service socket connected to the sender, with the datagram still
// queued on it, and the service continues on a fresh socket bound to the
// same address (the kernel gives new datagrams to the socket bound last).
//
// Datagrams from other senders may have queued on the old socket behind
// the first before the fresh one was bound; a child must never read
// those. So the old socket is sealed (it takes no more datagrams: a later
// one from the same address and port, a new client on a reused port,
// cannot reach its child) and its queue is read up to the last run of
// datagrams of one sender (handOff). Clients of a datagram service resend
// what is lost (docs/ginetd.8, CHILDREN).
func (s *Supervisor) dgramNowait(svc *service) {
	now := s.clock.Now()
	n, sa, err := unix.Recvfrom(svc.sock.FD, s.buf[:1], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	if err != nil {
		return
	}
	peer := listen.AddrPort(sa)
	if !s.admitDatagram(svc, peer, now) {
		unix.Recvfrom(svc.sock.FD, s.buf, unix.MSG_DONTWAIT)
		return
	}
	if !svc.rate.Allow(now) {
		s.looping(svc, now)
		return
	}
	fresh, err := svc.sock.Reopen()
	if err != nil {
		s.log.Error("spawn-failed", "svc", svc.label(), "peer", addrString(peer), "err", err)
		unix.Recvfrom(svc.sock.FD, s.buf, unix.MSG_DONTWAIT)
		return
	}
	fresh.SetNonblock(true)
	old := svc.sock
	s.setPolled(svc, false)
	svc.sock = fresh
	s.setPolled(svc, true)
	defer old.Detach() // a unix path belongs to the fresh socket
	var senders []netip.AddrPort
	if err := old.Seal(); err == nil {
		var ok bool
		senders, ok = listen.QueuedSenders(old.FD, s.buf, acceptBatch)
		if n == 0 && ok { // an empty first datagram, which the walk passes over
			senders = append([]netip.AddrPort{peer}, senders...)
		}
		if !ok {
			senders = nil // judge and drop them all
		}
	}
	s.handOff(svc, old, senders, now)
}

// handOff gives old, sealed, to the child of the last sender in senders
// (its queue, in order; the first is admitted already), with that
// sender's last datagrams queued on it and nothing else. The datagrams
// before them are read here: each sender is judged (a refusal is logged
// as reject) and an admitted one's datagram is dropped (logged as drop,
// reason=mixed-queue). With no senders, every datagram is read.
func (s *Supervisor) handOff(svc *service, old *listen.Socket, senders []netip.AddrPort, now time.Time) {
	last := len(senders) - 1
	first := last // the start of the last sender's run
	for first > 0 && senders[first-1] == senders[last] {
		first--
	}
	for i := 0; i < first || senders == nil; i++ {
		if _, err := listen.RecvFrom(old.FD, s.buf, unix.MSG_DONTWAIT, &s.from); err != nil {
			return
		}
		src := s.from.AddrPort()
		if i > 0 && !s.admitDatagram(svc, src, now) {
			continue
		}
		svc.refused++
		s.obs.Refused(svc.label(), "mixed-queue")
		svc.logger(s).Warn("drop", "svc", svc.label(), "peer", addrString(src), "reason", "mixed-queue")
	}
	if first > 0 && !s.admitDatagram(svc, senders[last], now) {
		for range senders[first:] {
			listen.RecvFrom(old.FD, s.buf, unix.MSG_DONTWAIT, &s.from)
		}
		return
	}
	_, sa, err := unix.Recvfrom(old.FD, s.buf[:1], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	if err != nil {
		return
	}
	peer := listen.AddrPort(sa)
	if err := unix.Connect(old.FD, sa); err != nil {
		s.log.Error("spawn-failed", "svc", svc.label(), "peer", addrString(peer), "err", err)
		return
	}
	old.SetNonblock(false)
	svc.accepted++
	s.spawn(svc, old.FD, peer, old.Addr, now)
}

// spawn starts svc's program with fd as its fds 0, 1 and 2, registers the
// child and logs it. It reports whether the child started.
//
// since is when the client was accepted (or its datagram seen), for the
// spawn-latency histogram.
func (s *Supervisor) spawn(svc *service, fd int, peer, local netip.AddrPort, since time.Time, extraEnv ...string) bool {
	c := svc.cfg
	files := []int{fd, fd, fd}
	env := append(s.childEnv(svc, peer, local), extraEnv...)
	if c.SocketActivation {
		files = append(files, fd)
		env = append(env, "LISTEN_FDS=1", "LISTEN_FDNAMES="+c.Name)
	}
	ch, err := spawn.Start(&spawn.Spec{
		Path:  c.Program,
		Argv:  c.Args,
		Env:   env,
		Files: files,
		Cred:  c.Cred,
		Extra: svc.extra,
		PidFD: svc.prompt(),
	})
	if err != nil {
		svc.failed++
		s.obs.SpawnFailed(svc.label())
		s.log.Error("spawn-failed", "svc", svc.label(), "peer", addrString(peer), "err", err)
		return false
	}
	now := s.clock.Now()
	cd := &child{pid: ch.Pid, pidfd: ch.PidFD, errfd: ch.ErrFD, svc: svc, peer: peer, start: now}
	s.obs.Spawned(svc.label(), now.Sub(since))
	s.children[ch.Pid] = cd
	if ch.ErrFD >= 0 {
		s.watchFD(ch.ErrFD, watch{errOf: cd})
	}
	if ch.PidFD >= 0 {
		s.watchFD(ch.PidFD, watch{child: cd})
	} else {
		s.polled++
		s.schedulePoll(true)
	}
	s.acquire(svc, peer.Addr())
	logAttrs(svc.logger(s), slog.LevelInfo, "accept", slog.String("svc", svc.label()),
		slog.String("peer", addrString(peer)), slog.Int("pid", ch.Pid))
	if s.draining {
		s.handOn(cd.handed(now))
	} else if c.MaxLifetime > 0 {
		s.limitLifetime(cd, c.MaxLifetime, c.KillGrace)
	}
	return true
}

// defaultKillGrace is the time between SIGTERM and SIGKILL at max_lifetime.
const defaultKillGrace = 5 * time.Second

// limitLifetime ends c after d: SIGTERM to its process group (the child is
// a session and group leader), then SIGKILL after grace.
func (s *Supervisor) limitLifetime(c *child, d, grace time.Duration) {
	if grace <= 0 {
		grace = defaultKillGrace
	}
	c.lifetime = s.after(c.start.Add(d), func() {
		if s.children[c.pid] != c || c.handedOver && s.draining {
			return // already gone, or the next ginetd's to end
		}
		s.log.Warn("lifetime", "svc", c.svc.label(), "pid", c.pid, "max", d, "signal", "TERM")
		unix.Kill(-c.pid, unix.SIGTERM)
		c.lifetime = s.after(s.clock.Now().Add(grace), func() {
			if s.children[c.pid] == c && !(c.handedOver && s.draining) {
				s.log.Warn("lifetime", "svc", c.svc.label(), "pid", c.pid, "max", d, "signal", "KILL")
				unix.Kill(-c.pid, unix.SIGKILL)
			}
		})
	})
}

// childEnv is the service's base environment plus the peer in every
// naming family in use (ginetd(8), CHILDREN).
func (s *Supervisor) childEnv(svc *service, peer, local netip.AddrPort) []string {
	env := make([]string, len(svc.env), len(svc.env)+12)
	copy(env, svc.env)
	proto := "TCP"
	switch {
	case svc.cfg.Proto == config.Unix:
		return append(env, "PROTO=UNIX")
	case !svc.stream():
		proto = "UDP"
	}
	// The variables of this connection are cut from one string: one
	// allocation instead of one per variable, on every connection.
	var buf [400]byte
	var ends [12]int // at most 12 variables (UDP with both addresses)
	b, n := buf[:0], 0
	add := func(name, value string) {
		b = append(append(append(b, name...), '='), value...)
		ends[n] = len(b)
		n++
	}
	add("PROTO", proto)
	var lip, lport string
	if local.IsValid() {
		lip, lport = local.Addr().Unmap().String(), strconv.Itoa(int(local.Port()))
		add(proto+"LOCALIP", lip)
		add(proto+"LOCALPORT", lport)
	}
	if peer.IsValid() {
		ip, port := peer.Addr().Unmap().String(), strconv.Itoa(int(peer.Port()))
		add(proto+"REMOTEIP", ip)
		add(proto+"REMOTEPORT", port)
		add("REMOTE_ADDR", ip)
		add("REMOTE_PORT", port)
		add("REMOTE_HOST", ip)
		if proto == "UDP" { // ginetd(8) names TCP* for every service
			add("TCPREMOTEIP", ip)
			add("TCPREMOTEPORT", port)
		}
	}
	if proto == "UDP" && local.IsValid() {
		add("TCPLOCALIP", lip)
		add("TCPLOCALPORT", lport)
	}
	all, start := string(b), 0
	for _, end := range ends[:n] {
		env = append(env, all[start:end])
		start = end
	}
	return env
}

// childExited handles a readable pidfd: collect the status and free the
// child's slot.
func (s *Supervisor) childExited(c *child) {
	st, err := spawn.Reap(c.pid)
	if err == spawn.ErrNotExited {
		return
	}
	s.unwatchFD(c.pidfd)
	unix.Close(c.pidfd)
	c.pidfd = -1
	s.ended(c, st)
}

// trampolineReport handles c's readable error pipe: EOF once the
// trampoline has executed the program, or what failed (chroot, rlimit,
// cgroup, exec, a runtime error), which is logged here and never reaches
// the client (docs/ginetd.8, CHILDREN).
func (s *Supervisor) trampolineReport(c *child) {
	if c.errfd < 0 {
		return
	}
	msg, done := spawn.ReadFailure(c.errfd)
	if !done {
		return
	}
	s.unwatchFD(c.errfd)
	unix.Close(c.errfd)
	c.errfd = -1
	if msg != "" {
		c.svc.failed++
		s.log.Error("spawn-failed", "svc", c.svc.label(), "peer", addrString(c.peer), "pid", c.pid, "err", msg)
	}
}

// ended logs a reaped child and releases its slot.
func (s *Supervisor) ended(c *child, st spawn.Status) {
	s.trampolineReport(c) // its failure before its exit
	delete(s.children, c.pid)
	s.cancel(c.lifetime)
	dur := s.clock.Now().Sub(c.start)
	s.obs.Exited(c.svc.label(), st, dur)
	level := slog.LevelInfo
	if !st.Success() {
		level = slog.LevelWarn
	}
	logAttrs(c.svc.logger(s), level, "exit", slog.String("svc", c.svc.label()), slog.Int("pid", c.pid),
		slog.String("status", st.String()), slog.Duration("dur", dur))
	s.release(c.svc, c.peer.Addr())
}

// Reaping. A child whose end must be noticed at once (a wait service
// takes its socket back, an instance limit frees a slot) has a pidfd in
// the epoll set. The others, the common nowait case, are reaped by
// polling wait4(-1, WNOHANG): after every batch of events while any run,
// and on a timer backing off from 10 ms to 100 ms when ginetd is otherwise
// idle, which saves three system calls and an epoll wake-up per
// connection (docs/benchmarks.md). An exit is thus logged at most
// 100 ms late, and the timer runs (ten wake-ups a second at most) only
// while such children exist. wait4(-1) also collects children that have
// a pidfd; their pidfd is then closed unused.

const (
	pollFirst = 10 * time.Millisecond
	pollMax   = 100 * time.Millisecond
)

// prompt reports whether svc's children need a pidfd.
func (svc *service) prompt() bool {
	c := svc.cfg
	return svc.waits() || svc.maxChild() > 0 || c.MaxChildPerIP > 0 || svc.tcpmux != nil
}

// reapAll collects every exited child.
func (s *Supervisor) reapAll() {
	for {
		pid, st := spawn.ReapAny()
		if pid == 0 {
			return
		}
		c, ok := s.children[pid]
		if !ok {
			continue // not a service's child (an upgrade's new ginetd)
		}
		if c.pidfd >= 0 {
			s.unwatchFD(c.pidfd)
			unix.Close(c.pidfd)
			c.pidfd = -1
		} else {
			s.polled--
		}
		s.ended(c, st)
	}
}

// schedulePoll arms the reaping timer while polled children run; a spawn
// resets its back-off.
func (s *Supervisor) schedulePoll(reset bool) {
	if reset {
		s.pollDelay = pollFirst
	}
	if s.pollArmed || s.polled == 0 {
		return
	}
	s.pollArmed = true
	s.after(s.clock.Now().Add(s.pollDelay), func() {
		s.pollArmed = false
		s.reapAll()
		if s.pollDelay < pollMax {
			s.pollDelay *= 2
		}
		s.schedulePoll(false)
	})
}
