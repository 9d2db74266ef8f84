package supervisor

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSpawnRateLooping: a service that spawned its rate's worth of
// children in the interval stops polling (looping, logged once); the next
// client waits in the backlog until the window allows one more spawn, not
// an instant sooner, and is then served.
func TestSpawnRateLooping(t *testing.T) {
	e := newTestEnv(t, Options{RateInterval: time.Minute})
	svc := programService("quick", "/bin/true")
	svc.MaxRate = 2
	e.apply(svc)

	e.dial("quick")
	e.await("spawned quick/tcp4")
	e.advance(10 * time.Second)
	e.dial("quick")
	e.await("spawned quick/tcp4")
	e.dial("quick")
	if ev := e.await("log looping svc=quick/tcp4"); !strings.Contains(ev, "max=2") || !strings.Contains(ev, "resume=50s") {
		t.Errorf("looping log: %q, want max=2 resume=50s", ev)
	}
	e.wantState("quick", Looping)

	// The window frees its first slot a minute after the first spawn.
	e.advance(50*time.Second - time.Millisecond)
	e.none("spawned")
	e.wantState("quick", Looping)
	e.advance(time.Millisecond)
	e.await("log resume svc=quick/tcp4")
	e.await("spawned quick/tcp4")
	if st := e.status("quick"); st.Accepted != 3 {
		t.Errorf("accepted %d, want 3", st.Accepted)
	}
	// One slot only: the second slot frees at the second spawn + 1 min.
	e.dial("quick")
	e.await("log looping svc=quick/tcp4 max=2 per=1m0s resume=10s")
	e.wantState("quick", Looping)
}

// TestPerSourceRate: per-source connections per minute (FreeBSD's
// max-connections-per-ip-per-minute): a client over the rate is refused,
// and admitted again once its minute has passed.
func TestPerSourceRate(t *testing.T) {
	e := newTestEnv(t, Options{})
	svc := builtinService("daytime")
	svc.MaxConnPerIPMin = 2
	e.apply(svc)

	for i := 0; i < 2; i++ {
		if got := readAll(t, e.dial("daytime")); got == "" {
			t.Fatalf("client %d: no daytime", i+1)
		}
		e.await("accepted daytime/tcp4")
		e.advance(20 * time.Second)
	}
	if got := readAll(t, e.dial("daytime")); got != "" {
		t.Errorf("client over the rate read %q", got)
	}
	e.await("refused daytime/tcp4 per-source-rate")
	e.wantState("daytime", Listening) // refused, not paused

	e.advance(20*time.Second - time.Millisecond) // the first minute ends
	readAll(t, e.dial("daytime"))
	e.await("refused daytime/tcp4 per-source-rate")
	e.advance(time.Millisecond)
	if got := readAll(t, e.dial("daytime")); got == "" {
		t.Error("no daytime a minute after the first client")
	}
	e.await("accepted daytime/tcp4")
}

// TestCPSPause: xinetd's cps: over the rate, the client is refused and
// the service stops accepting for the pause; the clients meanwhile wait in
// the backlog and are served when it ends.
func TestCPSPause(t *testing.T) {
	e := newTestEnv(t, Options{})
	svc := builtinService("daytime")
	svc.CPSRate, svc.CPSPause = 2, 10*time.Second
	e.apply(svc)

	for i := 0; i < 2; i++ {
		readAll(t, e.dial("daytime"))
		e.await("accepted daytime/tcp4")
	}
	readAll(t, e.dial("daytime"))
	e.await("refused daytime/tcp4 cps")
	e.await("log pause svc=daytime/tcp4 reason=cps resume=10s")
	e.wantState("daytime", Paused)

	waiting := e.dial("daytime")
	e.advance(10*time.Second - time.Millisecond)
	e.none("accepted")
	e.wantState("daytime", Paused)
	e.advance(time.Millisecond)
	e.await("log resume svc=daytime/tcp4")
	if got := readAll(t, waiting); got == "" {
		t.Error("the client that waited out the pause read nothing")
	}
	e.await("accepted daytime/tcp4")
}

// TestInstances: at its instance limit a service stops polling (full)
// and the next client waits in the backlog until a child exits; with a
// limit_message the client is refused with it instead; per_source counts
// the children of one address.
func TestInstances(t *testing.T) {
	t.Run("backlog", func(t *testing.T) {
		e := newTestEnv(t, Options{})
		svc := programService("cat", "/bin/cat")
		svc.MaxChild = 1
		e.apply(svc)

		c1 := e.dial("cat")
		e.await("spawned cat/tcp4")
		e.await("state cat/tcp4 full")
		c2 := e.dial("cat")
		e.none("accepted")

		c1.Close()
		e.await("exited cat/tcp4")
		e.await("state cat/tcp4 listening")
		e.await("spawned cat/tcp4")
		echo(t, c2, "second")
	})
	t.Run("limit_message", func(t *testing.T) {
		e := newTestEnv(t, Options{})
		svc := programService("cat", "/bin/cat")
		svc.MaxChild, svc.LimitMessage = 1, "busy"
		e.apply(svc)

		c1 := e.dial("cat")
		e.await("spawned cat/tcp4")
		if got := readAll(t, e.dial("cat")); got != "busy\r\n" {
			t.Errorf("refused client read %q, want the limit message", got)
		}
		e.await("refused cat/tcp4 instances")
		e.wantState("cat", Listening)
		echo(t, c1, "first")
	})
	t.Run("per_source", func(t *testing.T) {
		e := newTestEnv(t, Options{})
		svc := programService("cat", "/bin/cat")
		svc.MaxChildPerIP, svc.LimitMessage = 1, "one each"
		e.apply(svc)

		c1 := e.dial("cat")
		e.await("spawned cat/tcp4")
		if got := readAll(t, e.dial("cat")); got != "one each\r\n" {
			t.Errorf("second client of one address read %q", got)
		}
		e.await("refused cat/tcp4 per-source")
		c1.Close()
		e.await("exited cat/tcp4")
		c3 := e.dial("cat")
		e.await("spawned cat/tcp4")
		echo(t, c3, "third")
	})
}

// TestLifetime: max_lifetime sends SIGTERM to the child's group when its
// time is up and SIGKILL a grace later, not before.
func TestLifetime(t *testing.T) {
	e := newTestEnv(t, Options{})
	// A child that ignores SIGTERM; MaxChild gives it a pidfd, so that
	// its end is seen at once.
	svc := programService("stubborn", "/bin/sh", "-c", `trap "" TERM; exec cat`)
	svc.MaxChild, svc.MaxLifetime, svc.KillGrace = 5, time.Minute, 3*time.Second
	e.apply(svc)

	c := e.dial("stubborn")
	e.await("spawned stubborn/tcp4")
	echo(t, c, "alive")
	e.advance(time.Minute - time.Millisecond)
	e.none("log lifetime")
	e.advance(time.Millisecond)
	e.await("log lifetime svc=stubborn/tcp4")
	echo(t, c, "still alive") // TERM is ignored
	e.advance(3*time.Second - time.Millisecond)
	e.none("log lifetime")
	e.advance(time.Millisecond)
	if ev := e.await("log lifetime svc=stubborn/tcp4"); !strings.HasSuffix(ev, "signal=KILL") {
		t.Errorf("second lifetime event %q, want signal=KILL", ev)
	}
	if ev := e.await("exited stubborn/tcp4"); !strings.HasSuffix(ev, "signal SIGKILL") {
		t.Errorf("exit %q, want killed by SIGKILL", ev)
	}
}

// TestInlineIdle: an inline echo or discard connection is closed once its
// client has sent nothing for the idle deadline, not before (what it
// sends moves the deadline), and its instance is freed; max_lifetime
// closes one however busy.
func TestInlineIdle(t *testing.T) {
	e := newTestEnv(t, Options{Idle: time.Minute})
	disc := builtinService("discard")
	disc.MaxLifetime = 90 * time.Second
	e.apply(builtinService("echo"), disc)

	c := e.dial("echo")
	e.await("running echo/tcp4 1")
	e.advance(30 * time.Second)
	echo(t, c, "x") // idle from here
	e.advance(time.Minute - time.Millisecond)
	e.none("running echo/tcp4 0")
	e.advance(time.Millisecond)
	e.await("running echo/tcp4 0")
	if got := readAll(t, c); got != "" {
		t.Errorf("echo after the idle close: %q", got)
	}

	d := e.dial("discard")
	e.await("running discard/tcp4 1")
	for i := 0; i < 2; i++ {
		e.advance(40 * time.Second)
		if _, err := d.Write([]byte("busy")); err != nil {
			t.Fatal(err)
		}
		e.inlineRead() // the loop has read it
	}
	e.advance(10*time.Second - time.Millisecond)
	e.none("running discard/tcp4 0")
	e.advance(time.Millisecond)
	e.await("log lifetime svc=discard/tcp4")
	e.await("running discard/tcp4 0")
}

// TestChargenIdle: a chargen client that reads nothing is closed once
// chargen's writes have stalled for the idle deadline, and its instance
// is freed. chargen runs in a goroutine on the socket's real deadlines
// (the fake clock does not reach them): the deadline is short.
func TestChargenIdle(t *testing.T) {
	e := newTestEnv(t, Options{Idle: 300 * time.Millisecond})
	e.apply(builtinService("chargen"))
	e.dial("chargen") // and never read
	e.await("running chargen/tcp4 1")
	e.await("running chargen/tcp4 0")
}

// TestInlinePendingFreed: an echo connection keeps answer bytes only
// while its client does not read them, and lets them go once it has: idle
// connections that once echoed a large read held its 64 KiB (the soak's
// idle echo clients grew a lone ginetd's heap to 70 MB within the idle
// deadline).
func TestInlinePendingFreed(t *testing.T) {
	e := newTestEnv(t, Options{Idle: time.Minute})
	e.apply(builtinService("echo"))
	big := bytes.Repeat([]byte("x"), 60000)

	// A client that sends and does not read: the answer waits for it.
	stalled := e.dial("echo")
	var wrote int
	for { // until the kernel's buffers are full and the loop holds the rest
		stalled.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := stalled.Write(big)
		wrote += n
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal(err)
		}
		e.sync()
		if e.pending() > 0 {
			break
		}
		if wrote > 1<<30 {
			t.Fatalf("after %d bytes sent and none read: no answer bytes pending", wrote)
		}
	}

	// Clients that read their answers: nothing is kept for them.
	conns := []net.Conn{}
	for i := 0; i < 8; i++ {
		c := e.dial("echo")
		conns = append(conns, c)
		if _, err := c.Write(big); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(eventWait))
		if _, err := io.ReadFull(c, make([]byte, len(big))); err != nil {
			t.Fatal(err)
		}
	}
	// The stalled client reads everything: its answer bytes go too.
	stalled.SetReadDeadline(time.Now().Add(eventWait))
	if n, err := io.ReadFull(stalled, make([]byte, wrote)); err != nil {
		t.Fatalf("reading back %d bytes: %d: %v", wrote, n, err)
	}
	e.sync()
	if got := e.pendingCap(); got != 0 {
		t.Errorf("all clients read their answers: %d bytes still held for them", got)
	}
	for _, c := range conns {
		c.Close()
	}
	stalled.Close()
}

// inlineRead waits until an inline connection has read something at the
// fake clock's present. A sync alone does not do: on a loaded machine a
// loopback write can reach the receiving socket after the loop's round.
func (e *testEnv) inlineRead() {
	e.t.Helper()
	deadline := time.Now().Add(eventWait)
	for time.Now().Before(deadline) {
		read := false
		if !e.sup.call(func(s *Supervisor) {
			for _, w := range s.watches {
				read = read || (w.conn != nil && w.conn.last.Equal(s.clock.Now()))
			}
		}) {
			e.t.Fatal("supervisor stopped")
		}
		if read {
			return
		}
		time.Sleep(time.Millisecond)
	}
	e.t.Fatalf("no inline connection read anything within %v", eventWait)
}

// pending and pendingCap sum the answer bytes inline connections hold
// (length, and memory held).
func (e *testEnv) pending() int {
	return e.inlineSum(func(c *inlineConn) int { return len(c.pending) })
}
func (e *testEnv) pendingCap() int {
	return e.inlineSum(func(c *inlineConn) int { return cap(c.pending) })
}

func (e *testEnv) inlineSum(f func(*inlineConn) int) int {
	e.t.Helper()
	var sum int
	if !e.sup.call(func(s *Supervisor) {
		for _, w := range s.watches {
			if w.conn != nil {
				sum += f(w.conn)
			}
		}
	}) {
		e.t.Fatal("supervisor stopped")
	}
	return sum
}

// TestTimersCancelled: a connection's idle deadline and a child's
// max_lifetime go with the connection or the child, not at their time:
// each held its connection or child (and its closure) until then, minutes
// after its end (the soak's heap grew by the connections of the last
// idle deadline).
func TestTimersCancelled(t *testing.T) {
	e := newTestEnv(t, Options{Idle: time.Hour})
	quick := programService("quick", "/bin/true")
	quick.MaxLifetime = time.Hour
	e.apply(builtinService("echo"), quick)

	for i := 0; i < 20; i++ {
		c := e.dial("echo")
		echo(t, c, "x")
		c.Close()
		e.await("running echo/tcp4 0")
	}
	for i := 0; i < 5; i++ {
		c := e.dial("quick")
		e.await("exited quick/tcp4")
		c.Close()
	}
	e.sync()
	var late int
	if !e.sup.call(func(s *Supervisor) {
		for _, tm := range s.timers {
			if tm.at.Sub(s.clock.Now()) > time.Minute {
				late++
			}
		}
	}) {
		t.Fatal("supervisor stopped")
	}
	if late != 0 {
		t.Errorf("%d timers of ended connections and children still queued", late)
	}
}
