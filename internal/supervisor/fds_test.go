package supervisor

import (
	"log/slog"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
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

func waitState(t *testing.T, sup *Supervisor, want State) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rows, err := sup.Status()
		if err != nil {
			t.Fatal(err)
		}
		if rows[0].State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %s, want %s", rows[0].State, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
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

	sup, err := New(Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	go sup.Run()
	defer sup.Stop()
	svc := &config.Service{Name: "echo", ID: "echo", SockType: config.Stream, Proto: config.TCP4,
		Host: "127.0.0.1", Builtin: "echo", Umask: -1, MaxRate: config.NoLimit, CPSRate: config.NoLimit}
	if _, err := sup.Apply(&config.Config{Services: []*config.Service{svc}}); err != nil {
		t.Fatal(err)
	}
	rows, err := sup.Status()
	if err != nil {
		t.Fatal(err)
	}
	addr := rows[0].Addr

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
	waitState(t, sup, Paused)
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
	waitState(t, sup, Paused)
	setNofile(t, orig.Cur)
	if err := echoed(c3, "3", 5*fdRecheck); err != nil {
		t.Fatalf("third client, after the limit was raised: %v", err)
	}
}
