package main

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be the service program: with
// UPGLOAD_SERVE=KIND set it serves the socket on descriptor 0 as ginetd's
// child would.
func TestMain(m *testing.M) {
	if kind := os.Getenv("UPGLOAD_SERVE"); kind != "" {
		life, _ := time.ParseDuration(os.Getenv("UPGLOAD_LIFE"))
		serve(kind, os.Getenv("UPGLOAD_DIR"), "svc", life)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startChild starts the service program on sock (descriptor 0) for life.
func startChild(t *testing.T, dir string, sock *os.File, life time.Duration) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "UPGLOAD_SERVE=wait-udp", "UPGLOAD_DIR="+dir, "UPGLOAD_LIFE="+life.String())
	cmd.Stdin = sock
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitLines waits (10 s) until the service's log has n lines starting with prefix.
func waitLines(t *testing.T, dir, prefix string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		b, _ := os.ReadFile(dir + "/svc.log")
		c := 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, prefix) {
				c++
			}
		}
		if c >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d %q lines in the log:\n%s", n, prefix, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func udpSocket(t *testing.T) *os.File {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	f, err := pc.(*net.UDPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Two children on one socket at once are seen twice: by the lock and by
// their lifetimes; one after the other, by neither.
func TestOverlap(t *testing.T) {
	t.Run("together", func(t *testing.T) {
		dir := t.TempDir()
		sock := udpSocket(t)
		a := startChild(t, dir, sock, 2*time.Second)
		waitLines(t, dir, "start ", 1)
		b := startChild(t, dir, sock, 100*time.Millisecond)
		b.Wait()
		a.Wait()
		kids, errs, err := readLog(dir + "/svc.log")
		if err != nil || len(errs) > 0 {
			t.Fatal(err, errs)
		}
		lock := 0
		for _, k := range kids {
			if k.overlap {
				lock++
			}
		}
		if len(kids) != 2 || lock != 1 || len(overlaps(kids)) != 1 {
			t.Fatalf("%d children, %d lock overlaps, time overlaps %q; want 2, 1, 1", len(kids), lock, overlaps(kids))
		}
		if check(dir, []string{"svc"}) != 1 {
			t.Fatal("check passed two children at once")
		}
	})
	t.Run("sequential", func(t *testing.T) {
		dir := t.TempDir()
		sock := udpSocket(t)
		for i := 0; i < 3; i++ {
			startChild(t, dir, sock, 50*time.Millisecond).Wait()
		}
		kids, _, err := readLog(dir + "/svc.log")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kids {
			if k.overlap || k.end == 0 {
				t.Fatalf("child %+v", *k)
			}
		}
		if len(kids) != 3 || len(overlaps(kids)) != 0 {
			t.Fatalf("%d children, time overlaps %q; want 3, none", len(kids), overlaps(kids))
		}
		if check(dir, []string{"svc"}) != 0 {
			t.Fatal("check failed children one after the other")
		}
	})
}

// A child serves its socket for its life: every datagram is answered
// with its pid, and it counts them.
func TestServeDgram(t *testing.T) {
	dir := t.TempDir()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	f, err := pc.(*net.UDPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := startChild(t, dir, f, time.Second)
	cl, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	for i := 0; i < 3; i++ {
		cl.Write([]byte("x"))
		n, err := cl.Read(buf)
		if err != nil || !strings.HasPrefix(string(buf[:n]), "pid ") {
			t.Fatalf("answer %q, %v", buf[:n], err)
		}
	}
	c.Wait()
	kids, _, err := readLog(dir + "/svc.log")
	if err != nil || len(kids) != 1 || kids[0].served != 3 {
		t.Fatalf("log: %v children %v; want 1 child that served 3", err, kids)
	}
}
