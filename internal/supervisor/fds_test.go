package supervisor

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents) - 1 // the directory itself
}

func setNofile(t *testing.T, cur uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	rl.Cur = cur
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
}

// echoed writes b on c and reads it back within d.
func echoed(c net.Conn, b string, d time.Duration) error {
	c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte(b)); err != nil {
		return err
	}
	got := make([]byte, len(b))
	_, err := c.Read(got)
	return err
}

// TestFDPause: with fewer descriptors than the reserve free, a client is
// still served while nothing else is held; the next one waits (paused)
// and is served when the first leaves; a pause that nothing ends (the
// limit is raised again) ends on the safety-net timer.
func TestFDPause(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig)

	e := newTestEnv(t, Options{})
	e.apply(builtinService("echo"))
	addr := e.status("echo").Addr

	// Three descriptors to spare, far fewer than the reserve (8): the
	// first client is served all the same, nothing being held.
	setNofile(t, uint64(openFDs(t)+3))
	c1, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if err := echoed(c1, "1", 5*time.Second); err != nil {
		t.Fatalf("first client: %v", err)
	}
	// The second waits in the backlog while the first is held, and is
	// served once it leaves.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	e.await("state echo/tcp4 paused")
	c1.Close()
	if err := echoed(c2, "2", 5*time.Second); err != nil {
		t.Fatalf("second client, after the first left: %v", err)
	}

	// Paused again by a third client; then the limit goes back up and
	// nothing ends: the check every fdRecheck resumes the service.
	c3, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	e.await("state echo/tcp4 paused")
	setNofile(t, orig.Cur)
	e.advance(fdRecheck - time.Millisecond)
	e.none("state echo/tcp4 listening")
	e.advance(time.Millisecond)
	e.await("state echo/tcp4 listening")
	if err := echoed(c3, "3", eventWait); err != nil {
		t.Fatalf("third client, after the limit was raised: %v", err)
	}
}
