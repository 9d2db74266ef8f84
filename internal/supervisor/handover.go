package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// Binary upgrade. The old ginetd stops starting children on wait services
// (PrepareHandover) before it starts the new one, so that at no instant do
// two processes poll such a socket, and tells the new one which children
// still serve a wait service's socket: a pidfd for each. The new ginetd
// keeps that service Waiting until every one of them has exited (watched
// by its pidfd, which works for a process that is not one's child), then
// polls the socket. Thus a wait service's socket has at most one server
// across an upgrade (ginetd(8), UPGRADE).
//
// Once the new ginetd is ready, Handover makes the old one stop accepting
// and drain: it closes its service sockets (the new ginetd has its own
// copies), hands every other running child on to the new ginetd (pidfd,
// service key, age, client), and goes on serving what it serves itself
// (inline and goroutine built-ins, redirects, tcpmux exchanges, front
// doors and TLS relays) until the last of those ends; a child it starts
// meanwhile (a tcpmux sub-service, a PROXY or TLS connection admitted
// after its header) is handed on as it starts. The new ginetd adopts each
// handed child (Adopt): it counts towards the service's instances and
// per_source limits until it exits, and max_lifetime applies to it,
// counted from its start in the old process.

// Handoff is what a binary upgrade passes to the new ginetd.
type Handoff struct {
	// Sockets are the service sockets by key. The descriptors stay the
	// supervisor's: the caller hands them to the new process (which gets
	// its own copies) and must not close them.
	Sockets map[string]int
	// Held lists, by service key, the children still serving a wait
	// service's socket. Their pidfds are the caller's to close.
	Held map[string][]HeldChild
}

// HeldChild is a process, not necessarily a child of this one, started
// by a ginetd for a service: a wait service's server, or a child handed
// over by Handover.
type HeldChild struct {
	PID   int
	PidFD int
	Key   string         // the service's key (Handover; Handoff.Held has it as its map key)
	Age   time.Duration  // how long it had run when handed over
	Peer  netip.AddrPort // its client, if any
}

// Close closes every pidfd of h.Held.
func (h *Handoff) Close() {
	for _, hs := range h.Held {
		for _, c := range hs {
			unix.Close(c.PidFD)
		}
	}
	h.Held = nil
}

// PrepareHandover stops starting children on wait services and datagram
// nowait services (their sockets stay open; a datagram or client waits in
// the kernel; see rotates) and returns what
// the new ginetd needs. CancelHandover undoes it when the upgrade fails;
// Handover completes it.
func (s *Supervisor) PrepareHandover() (*Handoff, error) {
	h := &Handoff{Sockets: map[string]int{}, Held: map[string][]HeldChild{}}
	var err error
	ok := s.call(func(s *Supervisor) {
		s.holding = true
		for key, svc := range s.services {
			if svc.sock == nil {
				continue
			}
			h.Sockets[key] = svc.sock.FD
			if svc.waits() || svc.rotates() {
				s.resume(svc) // Waiting or Paused: see resume
			}
		}
		now := s.clock.Now()
		for _, c := range s.children {
			if err != nil || s.services[c.svc.key] != c.svc || c.svc.sock == nil || !c.svc.waits() {
				continue
			}
			var hc HeldChild
			if hc, err = c.handed(now); err == nil {
				h.Held[c.svc.key] = append(h.Held[c.svc.key], hc)
			}
		}
		for _, w := range s.watches {
			hc := w.held
			if err != nil || hc == nil || s.services[hc.svc.key] != hc.svc || hc.svc.sock == nil || !hc.svc.waits() {
				continue
			}
			var d HeldChild
			if d, err = hc.handed(now); err == nil {
				h.Held[hc.svc.key] = append(h.Held[hc.svc.key], d)
			}
		}
		if err != nil {
			s.cancelHandover()
		}
	})
	if !ok {
		h.Close()
		return nil, ErrStopped
	}
	if err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// CancelHandover lets wait services start children again after a failed
// upgrade.
func (s *Supervisor) CancelHandover() {
	s.call(func(s *Supervisor) { s.cancelHandover() })
}

func (s *Supervisor) cancelHandover() {
	s.holding = false
	for _, c := range s.children {
		c.handedOver = false
	}
	for _, w := range s.watches {
		if w.held != nil {
			w.held.handedOver = false
		}
	}
	for _, svc := range s.services {
		if (svc.waits() && svc.state == Waiting) || (svc.rotates() && svc.state == Paused) {
			s.resume(svc)
		}
	}
}

// Handover completes an upgrade: this ginetd stops accepting (its service
// sockets close; unix socket paths and service cgroups stay, for the new
// ginetd) and drains. handed is called on the loop, now for every running
// child not handed over by PrepareHandover and later for every child
// started while draining, with a duplicate of its pidfd that handed owns.
// Done is closed once the last connection this process serves itself has
// ended; the children are the new ginetd's to watch, not waited for.
func (s *Supervisor) Handover(handed func(HeldChild)) {
	s.call(func(s *Supervisor) {
		s.handingOver, s.draining, s.handed = true, true, handed
		for _, svc := range s.services {
			s.closeService(svc)
		}
		now := s.clock.Now()
		for _, c := range s.children {
			s.handOn(c.handed(now))
		}
		for _, w := range s.watches {
			if w.held != nil {
				s.handOn(w.held.handed(now))
			}
		}
		s.log.Info("drain", "children", len(s.children), "serving", s.serving())
	})
}

// handOn passes a child on to the new ginetd while draining.
func (s *Supervisor) handOn(h HeldChild, err error) {
	switch {
	case err == errHanded:
	case err != nil:
		s.log.Error("handover", "pid", h.PID, "err", err)
	default:
		s.handed(h)
	}
}

var errHanded = errors.New("handed over already")

// handed marks c handed over and returns it with a duplicate of its
// pidfd.
func (c *child) handed(now time.Time) (HeldChild, error) {
	h := HeldChild{PID: c.pid, Key: c.svc.key, Age: now.Sub(c.start), Peer: c.peer}
	if c.handedOver {
		return h, errHanded
	}
	var err error
	if c.pidfd >= 0 {
		h.PidFD, err = unix.FcntlInt(uintptr(c.pidfd), unix.F_DUPFD_CLOEXEC, 0)
	} else {
		// Not reaped yet (it is in s.children): the pid is still this
		// child's, even if it has exited.
		h.PidFD, err = unix.PidfdOpen(c.pid, 0)
	}
	if err != nil {
		return h, fmt.Errorf("pidfd of %s child %d: %w", c.svc.label(), c.pid, err)
	}
	c.handedOver = true
	return h, nil
}

func (hc *heldChild) handed(now time.Time) (HeldChild, error) {
	h := HeldChild{PID: hc.pid, Key: hc.svc.key, Age: now.Sub(hc.start), Peer: hc.peer}
	if hc.handedOver {
		return h, errHanded
	}
	fd, err := unix.FcntlInt(uintptr(hc.pidfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return h, fmt.Errorf("pidfd of %s child %d: %w", hc.svc.label(), hc.pid, err)
	}
	h.PidFD = fd
	hc.handedOver = true
	return h, nil
}

// serving counts what a draining ginetd still serves itself: built-in,
// redirect and tcpmux connections, front doors in flight, TLS relays and
// lingering refusals. Its children and held children are not counted.
func (s *Supervisor) serving() int {
	n := s.running - len(s.children) + int(s.goFDs.Load()) + int(s.lingering.Load())
	for _, w := range s.watches {
		if w.held != nil {
			n--
		}
	}
	return n
}

// heldChild is a process the previous ginetd started for a service,
// watched by its pidfd.
type heldChild struct {
	svc        *service
	pid        int
	pidfd      int
	start      time.Time
	peer       netip.AddrPort
	exited     bool
	handedOver bool // to the next ginetd (PrepareHandover, Handover)
}

// adoptHeld takes over the children of the previous ginetd that serve
// svc's inherited socket (Options.Held under key): svc waits for them as
// for children of its own.
func (s *Supervisor) adoptHeld(svc *service, key string) {
	hs := s.opts.Held[key]
	delete(s.opts.Held, key)
	for _, h := range hs {
		if !svc.waits() {
			unix.Close(h.PidFD) // a wait service no more: nothing to wait for
			continue
		}
		s.adopt(svc, h)
	}
}

// Adopt takes over a child the previous ginetd handed over while it
// drains (Handover there): it counts as an instance of the service with
// its key (per_source too) until it exits, and the service's max_lifetime
// applies to it. A child of a service this configuration does not have
// is not watched. Adopt owns h.PidFD.
func (s *Supervisor) Adopt(h HeldChild) {
	if !s.send(func(s *Supervisor) {
		svc := s.byKey(h.Key)
		switch {
		case s.draining:
			// This ginetd is being replaced itself: on to the next.
			s.handed(h)
		case svc == nil:
			s.log.Warn("held", "pid", h.PID, "key", h.Key, "err", "no such service")
			unix.Close(h.PidFD)
		default:
			s.adopt(svc, h)
		}
	}) {
		unix.Close(h.PidFD)
	}
}

// byKey finds the service with key, a tcpmux sub-service too. A
// dual-stack service bound to one IPv6 address has the IPv6 key on the
// other side (see inherited).
func (s *Supervisor) byKey(key string) *service {
	if svc := s.services[key]; svc != nil {
		return svc
	}
	if svc := s.findSub(key); svc != nil {
		return svc
	}
	for _, p := range [][2]string{{config.TCP46, config.TCP6}, {config.UDP46, config.UDP6}} {
		if rest, ok := strings.CutPrefix(key, p[1]); ok {
			if svc := s.services[p[0]+rest]; svc != nil {
				return svc
			}
		}
	}
	return nil
}

func (s *Supervisor) adopt(svc *service, h HeldChild) {
	hc := &heldChild{svc: svc, pid: h.PID, pidfd: h.PidFD, start: s.clock.Now().Add(-h.Age), peer: h.Peer}
	s.acquire(svc, h.Peer.Addr())
	s.watchFD(h.PidFD, watch{held: hc})
	s.log.Info("held", "svc", svc.label(), "pid", h.PID)
	if d := svc.cfg.MaxLifetime; d > 0 {
		s.limitHeldLifetime(hc, d, svc.cfg.KillGrace)
	}
}

// limitHeldLifetime ends a held child at max_lifetime as limitLifetime
// does a child: SIGTERM, then SIGKILL after grace, through its pidfd (it
// is not this process's child: another may reap it at any time). Its
// process group (the child is a group leader) is signalled too while the
// pidfd shows it has not exited: its pid cannot have been reused then.
func (s *Supervisor) limitHeldLifetime(h *heldChild, d, grace time.Duration) {
	if grace <= 0 {
		grace = defaultKillGrace
	}
	kill := func(sig unix.Signal) bool {
		if h.exited {
			return false
		}
		s.log.Warn("lifetime", "svc", h.svc.label(), "pid", h.pid, "max", d, "signal", unix.SignalName(sig)[3:])
		unix.PidfdSendSignal(h.pidfd, sig, nil, 0)
		fds := []unix.PollFd{{Fd: int32(h.pidfd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 0); err == nil && n == 0 {
			unix.Kill(-h.pid, sig)
		}
		return true
	}
	s.after(h.start.Add(d), func() {
		if kill(unix.SIGTERM) {
			s.after(s.clock.Now().Add(grace), func() { kill(unix.SIGKILL) })
		}
	})
}

// heldExited handles a readable pidfd of a held child: it has exited (its
// parent, the previous ginetd or init, reaps it).
func (s *Supervisor) heldExited(h *heldChild) {
	h.exited = true
	s.unwatchFD(h.pidfd)
	unix.Close(h.pidfd)
	logAttrs(h.svc.logger(s), slog.LevelInfo, "held-exit", slog.String("svc", h.svc.label()), slog.Int("pid", h.pid))
	s.release(h.svc, h.peer.Addr())
}
