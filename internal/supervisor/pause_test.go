package supervisor

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// TestAcceptPauseEMFILE: an accept4 that fails for want of descriptors
// pauses the service, logged once per streak, for 5 ms, then twice as
// long at each failure in a row; the client waits in the backlog and is
// served once a descriptor is free.
func TestAcceptPauseEMFILE(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.apply(builtinService("daytime"))
	addr := e.status("daytime").Addr

	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig)
	// Take every descriptor but one, which the client's socket takes:
	// the loop's accept4 then fails with EMFILE.
	setNofile(t, uint64(openFDs(t)+32))
	var fill []int
	defer func() {
		for _, fd := range fill {
			unix.Close(fd)
		}
	}()
	take := func() {
		for {
			fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if errors.Is(err, unix.EMFILE) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fill = append(fill, fd)
		}
	}
	take()
	free := func() {
		unix.Close(fill[len(fill)-1])
		fill = fill[:len(fill)-1]
	}
	free()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.await("log accept-paused svc=daytime/tcp4")
	e.await("state daytime/tcp4 paused")

	e.advance(5*time.Millisecond - time.Microsecond)
	e.none("state daytime/tcp4 listening")
	e.advance(time.Microsecond)
	e.await("state daytime/tcp4 listening")
	e.await("state daytime/tcp4 paused") // EMFILE again: 10 ms now
	e.advance(10*time.Millisecond - time.Microsecond)
	e.none("state daytime/tcp4 listening")
	free()
	e.advance(time.Microsecond)
	e.await("state daytime/tcp4 listening")
	e.await("accepted daytime/tcp4")
	e.none("log accept-paused") // once per streak
	if got := readAll(t, c); got == "" {
		t.Error("the client that waited read nothing")
	}

	// A success ends the streak: the next failure is logged and pauses
	// 5 ms again.
	c.Close()
	take()
	free()
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	e.await("log accept-paused svc=daytime/tcp4")
	e.await("state daytime/tcp4 paused")
	free()
	e.advance(5*time.Millisecond - time.Microsecond)
	e.none("state daytime/tcp4 listening")
	e.advance(time.Microsecond)
	e.await("accepted daytime/tcp4")
}

// TestBindRetryBackoff: a socket that cannot be bound is retried after
// 1 s, then twice as long each time up to a minute; an error is logged
// when it differs from the last one, not at every retry; once the bind
// succeeds the service listens.
func TestBindRetryBackoff(t *testing.T) {
	e := newTestEnv(t, Options{})
	dir := filepath.Join(t.TempDir(), "later")
	svc := builtinService("daytime")
	svc.Name, svc.ID, svc.Proto, svc.Host, svc.Path = "later", "later", config.Unix, "", filepath.Join(dir, "sock")
	if d := e.apply(svc); len(d.Unbound) != 1 || !strings.HasPrefix(d.Unbound[0], "later/unix: ") {
		t.Fatalf("unbound %q, want later/unix", d.Unbound)
	}
	if ev := e.await("log bind-failed svc=later/unix"); !strings.HasSuffix(ev, " retry=1s") {
		t.Fatalf("first failure: %q, want retry=1s", ev)
	}
	e.wantState("later", BindRetry)

	// The retry after 1 s fails as the first did: not logged, but the
	// next one comes 2 s later, and fails otherwise (a file where the
	// directory should be): logged, with the next delay of 4 s.
	e.advance(time.Second)
	e.none("log bind-failed")
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.advance(2*time.Second - time.Millisecond)
	e.none("log bind-failed")
	e.advance(time.Millisecond)
	if ev := e.await("log bind-failed svc=later/unix"); !strings.HasSuffix(ev, " retry=4s") {
		t.Fatalf("third failure: %q, want retry=4s", ev)
	}

	// Each attempt now fails with the other error, so that each is
	// logged with its back-off.
	obstacle := true
	delay := 4 * time.Second
	for _, want := range []string{"8s", "16s", "32s", "1m0s", "1m0s"} {
		if obstacle = !obstacle; obstacle {
			if err := os.WriteFile(dir, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		e.advance(delay - time.Millisecond)
		e.none("log bind-failed")
		e.advance(time.Millisecond)
		if ev := e.await("log bind-failed svc=later/unix"); !strings.HasSuffix(ev, " retry="+want) {
			t.Fatalf("after %v: %q, want retry=%s", delay, ev, want)
		}
		e.wantState("later", BindRetry)
		delay, _ = time.ParseDuration(want)
	}

	if obstacle {
		os.Remove(dir)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.advance(delay - time.Millisecond)
	e.none("log listen")
	e.advance(time.Millisecond)
	e.await("log listen svc=later/unix")
	e.wantState("later", Listening)
	c, err := net.Dial("unix", svc.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := readAll(t, c); got == "" {
		t.Error("no daytime on the socket bound at last")
	}
}
