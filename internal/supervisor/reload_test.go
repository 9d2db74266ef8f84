package supervisor

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/listen"
)

func clone(c *config.Service) *config.Service {
	d := *c
	return &d
}

// TestReloadDecisions: Apply keeps the socket of a service whose key is
// unchanged, and its state (a full service stays full; its backlog is not
// served early), reports a change only where the settings differ, closes
// a removed service's socket and leaves running children alone.
func TestReloadDecisions(t *testing.T) {
	e := newTestEnv(t, Options{})
	cat := programService("cat", "/bin/cat")
	cat.MaxChild = 1
	day := builtinService("daytime")
	e.apply(cat, day)
	catAddr, dayAddr := e.status("cat").Addr, e.status("daytime").Addr
	dayFD := -1
	e.sup.call(func(s *Supervisor) {
		for _, svc := range s.services {
			if svc.label() == "daytime/tcp4" {
				dayFD = svc.sock.FD
			}
		}
	})

	if d := e.apply(clone(cat), clone(day)); d.Added != nil || d.Removed != nil || d.Changed != nil || d.Unbound != nil {
		t.Errorf("the same configuration again: %+v, want no change", d)
	}
	if a := e.status("cat").Addr; a != catAddr {
		t.Errorf("cat moved from %s to %s", catAddr, a)
	}

	c1 := e.dial("cat")
	e.await("spawned cat/tcp4")
	e.await("state cat/tcp4 full")
	cat2 := clone(cat)
	cat2.Args = []string{"/bin/cat", "-u"}
	d := e.apply(cat2, clone(day))
	if !slices.Equal(d.Changed, []string{"cat/tcp4"}) || d.Added != nil || d.Removed != nil {
		t.Errorf("new argv: %+v, want cat/tcp4 changed only", d)
	}
	e.wantState("cat", Full)
	c2 := e.dial("cat")
	e.none("accepted")

	d = e.apply(clone(cat2))
	if !slices.Equal(d.Removed, []string{"daytime/tcp4"}) || d.Added != nil || d.Changed != nil {
		t.Errorf("daytime removed: %+v", d)
	}
	e.await("gone daytime/tcp4")
	// Its socket is closed: the descriptor it had is no longer a
	// listening socket on its address. (Dialling the address is no
	// test: on a busy machine another bind may take the freed port.)
	if sa, err := unix.Getsockname(dayFD); err == nil && listen.AddrPort(sa).String() == dayAddr {
		if v, err := unix.GetsockoptInt(dayFD, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && v == 1 {
			t.Errorf("the removed service's socket (fd %d, %s) is still open", dayFD, dayAddr)
		}
	}
	echo(t, c1, "the child outlives the reload")
	c1.Close()
	e.await("exited cat/tcp4")
	e.await("spawned cat/tcp4")
	echo(t, c2, "served by the new settings")
}

// TestReloadKeepsRateWindow: a reload that keeps a service's spawn rate
// keeps the spawns counted in its window: reloading does not reset a
// looping service's breaker.
func TestReloadKeepsRateWindow(t *testing.T) {
	e := newTestEnv(t, Options{RateInterval: time.Minute})
	svc := programService("quick", "/bin/true")
	svc.MaxRate = 1
	e.apply(svc)
	e.dial("quick")
	e.await("spawned quick/tcp4")
	e.apply(clone(svc))
	e.dial("quick")
	e.await("log looping svc=quick/tcp4")
	e.none("spawned")
}
