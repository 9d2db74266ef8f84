package supervisor

import (
	"fmt"
	"log/slog"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Binary upgrade. The old ginetd stops starting children on wait services
// (PrepareHandover) before it starts the new one, so that at no instant do
// two processes poll such a socket, and tells the new one which children
// still serve a wait service's socket: a pidfd for each. The new ginetd
// keeps that service Waiting until every one of them has exited (watched
// by its pidfd, which works for a process that is not one's child), then
// polls the socket. Thus a wait service's socket has at most one server
// across an upgrade (ginetd(8), UPGRADE).

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

// HeldChild is a process, not necessarily a child of this one, serving a
// wait service's socket.
type HeldChild struct {
	PID   int
	PidFD int
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
		held := func(svc *service, pid, pidfd int) {
			if err != nil || s.services[svc.key] != svc || svc.sock == nil || !svc.waits() {
				return
			}
			var fd int
			if pidfd >= 0 {
				fd, err = unix.FcntlInt(uintptr(pidfd), unix.F_DUPFD_CLOEXEC, 0)
			} else {
				// Not reaped yet (it is in s.children): the pid is
				// still this child's, even if it has exited.
				fd, err = unix.PidfdOpen(pid, 0)
			}
			if err != nil {
				err = fmt.Errorf("pidfd of %s child %d: %w", svc.label(), pid, err)
				return
			}
			h.Held[svc.key] = append(h.Held[svc.key], HeldChild{PID: pid, PidFD: fd})
		}
		for _, c := range s.children {
			held(c.svc, c.pid, c.pidfd)
		}
		for _, w := range s.watches {
			if w.held != nil {
				held(w.held.svc, w.held.pid, w.held.pidfd)
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
	for _, svc := range s.services {
		if (svc.waits() && svc.state == Waiting) || (svc.rotates() && svc.state == Paused) {
			s.resume(svc)
		}
	}
}

// Handover stops the loop like Stop, but leaves in place what the new
// ginetd of an upgrade now uses: unix socket paths and service cgroups.
func (s *Supervisor) Handover() {
	s.send(func(s *Supervisor) { s.handingOver, s.stopping = true, true })
	<-s.done
}

// heldChild is a process the previous ginetd started on a wait service's
// socket, watched by its pidfd.
type heldChild struct {
	svc   *service
	pid   int
	pidfd int
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
		hc := &heldChild{svc: svc, pid: h.PID, pidfd: h.PidFD}
		s.acquire(svc, netip.Addr{})
		s.watchFD(h.PidFD, watch{held: hc})
		s.log.Info("held", "svc", svc.label(), "pid", h.PID)
	}
}

// heldExited handles a readable pidfd of a held child: it has exited (its
// parent, the previous ginetd or init, reaps it).
func (s *Supervisor) heldExited(h *heldChild) {
	s.unwatchFD(h.pidfd)
	unix.Close(h.pidfd)
	logAttrs(h.svc.logger(s), slog.LevelInfo, "held-exit", slog.String("svc", h.svc.label()), slog.Int("pid", h.pid))
	s.release(h.svc, netip.Addr{})
}
