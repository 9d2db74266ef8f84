package supervisor

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"
)

// The descriptor budget (docs/ginetd.8, accept-paused): ginetd stops
// accepting while fewer than a reserve of descriptors would be left free,
// so that its control socket, the -metrics port, its logs and a reload
// still find descriptors, and resumes once clients have gone. A pause
// always ends: when something that held descriptors ends, and on a timer
// as a safety net; and ginetd never pauses when nothing it holds for
// clients could free one (it then accepts, and an EMFILE from accept4
// backs off as acceptError says).

// fdRecheck is the period of the safety-net check while paused.
const fdRecheck = time.Second

// fdReserveFor is how many descriptors ginetd keeps free at a limit of
// limit: an eighth of it, at least 8 and at most 64.
func fdReserveFor(limit int) int {
	return min(64, max(8, limit/8))
}

// fdHeld is the loop's own bound on the descriptors held for clients and
// service sockets: each watched descriptor (service sockets, pidfds,
// inline connections), one per running instance (a goroutine built-in's
// or redirect's connection; a child's pidfd counts twice), and what
// goroutines hold beyond that (s.goFDs).
func (s *Supervisor) fdHeld() int {
	return len(s.watches) + s.running + int(s.goFDs.Load())
}

// fdsLow reports whether accepting one more client could leave fewer
// than the reserve free.
func (s *Supervisor) fdsLow() bool { return s.fdsShort(0) }

// fdsShort reports whether fewer than the reserve plus slack
// descriptors are free, and something held for clients could free some.
// Far from the limit (two reserves away) it trusts fdHeld plus the
// largest number of other descriptors seen, once it has seen them;
// nearer, it counts the open descriptors.
func (s *Supervisor) fdsShort(slack int) bool {
	if s.fdLimit <= 0 || s.running == 0 && s.goFDs.Load() == 0 {
		return false
	}
	held := s.fdHeld()
	if s.fdBase >= 0 && s.fdBase+held+2*fdReserveFor(s.fdLimit)+slack < s.fdLimit {
		return false
	}
	n, ok := s.countFDs()
	if !ok {
		return true
	}
	s.fdBase = max(s.fdBase, n-held)
	return n+fdReserveFor(s.fdLimit)+slack >= s.fdLimit
}

// countFDs counts the process's open descriptors in /proc/self/fd, and
// rereads the limit (prlimit(1) may have changed it). It fails when the
// directory cannot be opened: no descriptor is free.
func (s *Supervisor) countFDs() (int, bool) {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil {
		s.fdLimit = int(min(rl.Cur, 1<<30))
	}
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	defer unix.Close(dir)
	n := -1 // dir itself
	for {
		m, err := unix.Getdents(dir, s.buf)
		if err != nil {
			return 0, false
		}
		if m <= 0 {
			return n, true
		}
		// struct linux_dirent64: ino, off (8 bytes each), reclen (2),
		// type (1), name.
		for b := s.buf[:m]; len(b) > 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen <= 19 || reclen > len(b) {
				break
			}
			if b[19] != '.' {
				n++
			}
			b = b[reclen:]
		}
	}
}

// fdPause stops polling svc until descriptors are free again; its clients
// wait in the kernel's backlog meanwhile. The pause is logged once per
// streak.
func (s *Supervisor) fdPause(svc *service) {
	if !s.fdLow {
		s.fdLow = true
		s.log.Error("accept-paused", "svc", svc.label(), "reason", "descriptor limit", "limit", s.fdLimit,
			"reserve", fdReserveFor(s.fdLimit), "running", s.running)
		s.fdTimer()
	}
	svc.fdWait = true
	s.setState(svc, Paused)
}

// fdTimer checks every fdRecheck while paused, in case nothing that ends
// tells the loop.
func (s *Supervisor) fdTimer() {
	if s.fdTimerSet {
		return
	}
	s.fdTimerSet = true
	s.after(s.clock.Now().Add(fdRecheck), func() {
		s.fdTimerSet = false
		s.fdResume()
		if s.fdLow {
			s.fdTimer()
		}
	})
}

// fdResume resumes the services paused by fdPause once descriptors are
// free again: half a reserve more than the pause needed, so that a
// control or -metrics connection closing does not make ginetd accept one
// client and pause again at once. It is called whenever something that
// held descriptors ends.
func (s *Supervisor) fdResume() {
	if !s.fdLow || s.fdsShort(fdReserveFor(s.fdLimit)/2) {
		return
	}
	s.fdLow = false
	for _, svc := range s.services {
		if svc.fdWait {
			svc.fdWait = false
			if svc.state == Paused {
				s.log.Info("resume", "svc", svc.label())
				s.resume(svc)
			}
		}
	}
}

// goHold counts n descriptors a goroutine holds beyond its running
// instance (see fdHeld); safe from any goroutine.
func (s *Supervisor) goHold(n int32) { s.goFDs.Add(n) }

// goFree gives back n descriptors counted by goHold and lets the loop
// resume services paused for want of them; safe from any goroutine.
func (s *Supervisor) goFree(n int32) {
	s.goFDs.Add(-n)
	s.send(func(s *Supervisor) { s.fdResume() })
}
