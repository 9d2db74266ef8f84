package sink

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

var now = msg.MakeStamp(time.Date(2026, 11, 5, 7, 8, 9, 0, time.Local))

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	for _, sync := range []bool{false, true} {
		s, err := OpenFile(path, sync)
		if err != nil {
			t.Fatal(err)
		}
		s.Write([]byte("a\n"), nil)
		if b, _ := os.ReadFile(path); len(b) != 0 && !sync {
			t.Fatalf("written before Flush: %q", b)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != "a\na\n" {
		t.Fatalf("file = %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != FileMode&^0o022 && fi.Mode().Perm() != FileMode {
		t.Fatalf("mode %v", fi.Mode())
	}
}

func TestFifo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p")
	if _, err := OpenFifo(path); err == nil {
		t.Fatal("opened a missing fifo")
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFifo(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// no reader yet: the line waits in the pipe
	if err := s.Write([]byte("hello\n"), nil); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 100)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "hello\n" {
		t.Fatalf("read %q", buf[:n])
	}
	// a full pipe drops instead of blocking
	big := []byte(strings.Repeat("x", 4000) + "\n")
	var full error
	for range 100 {
		if full = s.Write(big, nil); full != nil {
			break
		}
	}
	if full == nil {
		t.Fatal("a full pipe never reported")
	}
}

func TestForward(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	s, err := OpenForward("127.0.0.1", port, []byte("me"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := msg.Parse([]byte("<14>Nov 26 00:58:32 tg[1]: hi"), now)
	if err := s.Write(nil, &m); err != nil {
		t.Fatal(err)
	}
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 200)
	n, _, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "<14>Nov 26 00:58:32 me tg[1]: hi" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
	if _, err := OpenForward("no.such.host.invalid", "514", nil); err == nil {
		t.Fatal("resolved an invalid name")
	}
}

// openPty returns the master of a new pseudo-terminal and its slave's name.
func openPty(t *testing.T) (*os.File, string) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	return m, "pts/" + strconv.Itoa(n)
}

func TestUsers(t *testing.T) {
	master, line := openPty(t)
	// the slave must be open for writes to reach the master
	slave, err := os.OpenFile("/dev/"+line, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	utmp := filepath.Join(t.TempDir(), "utmp")
	rec := append(UtmpRecord("alice", line, 1), UtmpRecord("bob", "../etc/x", 2)...)
	if err := os.WriteFile(utmp, rec, 0o644); err != nil {
		t.Fatal(err)
	}
	m := msg.Parse([]byte("<8>Nov 26 00:58:32 tg: alarm"), now)
	line1 := msg.AppendLine(nil, &m, []byte("me"))
	if err := NewUsers(utmp, []string{"bob"}, []byte("me")).Write(line1, &m); err != nil {
		t.Fatal(err)
	}
	if err := NewUsers(utmp, []string{"alice"}, []byte("me")).Write(line1, &m); err != nil {
		t.Fatal(err)
	}
	if err := NewUsers(utmp, nil, []byte("me")).Write(line1, &m); err != nil {
		t.Fatal(err)
	}
	master.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 1000)
	for !strings.Contains(string(got), "Message from syslogd@me") || strings.Count(string(got), "alarm") < 2 {
		n, err := master.Read(buf)
		if err != nil {
			t.Fatalf("read %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
	}
	// the terminal (ONLCR) turns our "\r\n" into "\r\r\n", as with sysklogd
	if !strings.HasPrefix(string(got), "Nov 26 00:58:32 me tg: alarm\r") {
		t.Fatalf("terminal got %q", got)
	}
}

// within runs f and fails the test if it does not return within 5 s
// (then release is called to unblock it).
func within(t *testing.T, what string, release func(), f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		release()
		<-done
		t.Fatalf("%s blocked", what)
	}
}

// TestFileOnFifo: a file action naming a named pipe with no reader opens at
// once, keeps lines in the pipe, and drops (and reports) what does not fit
// instead of blocking.
func TestFileOnFifo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	release := func() { // a reader, so that a blocked open returns
		if fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == nil {
			t.Cleanup(func() { unix.Close(fd) })
		}
	}
	var s *File
	var err error
	within(t, "opening a fifo without a reader", release, func() { s, err = OpenFile(path, true) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var full error
	within(t, "writing to a full fifo", release, func() {
		if full = s.Write([]byte("first\n"), nil); full != nil {
			return
		}
		big := []byte(strings.Repeat("x", 4000) + "\n")
		for range 100 {
			if full = s.Write(big, nil); full == nil {
				full = s.Flush()
			}
			if full != nil {
				return
			}
		}
	})
	if full == nil || !strings.Contains(full.Error(), "resource temporarily unavailable") {
		t.Fatalf("a full pipe reported %v, want EAGAIN", full)
	}
	r, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 6)
	if n, _ := r.Read(buf); string(buf[:n]) != "first\n" {
		t.Fatalf("read %q", buf[:n])
	}
}

// TestFileOnTerminal: a terminal whose output nobody reads never stalls a
// file action.
func TestFileOnTerminal(t *testing.T) {
	master, line := openPty(t)
	var s *File
	var err error
	within(t, "opening a terminal", func() { master.Close() }, func() { s, err = OpenFile("/dev/"+line, false) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var full error
	big := []byte(strings.Repeat("x", 1000) + "\n")
	within(t, "writing to a terminal nobody reads", func() { master.Close() }, func() {
		for range 10000 {
			if full = s.Write(big, nil); full == nil {
				full = s.Flush()
			}
			if full != nil {
				return
			}
		}
	})
	if full == nil {
		t.Fatal("a full terminal never reported")
	}
}

// TestFileNoControllingTerminal: a session leader without a controlling
// terminal (gsyslogd once detached) that opens a terminal as a file action
// does not acquire it. The check runs in a child started with setsid.
func TestFileNoControllingTerminal(t *testing.T) {
	if path := os.Getenv("SINK_CTTY_HELPER"); path != "" {
		s, err := OpenFile(path, false)
		if err != nil {
			os.Stdout.WriteString("open: " + err.Error())
			os.Exit(2)
		}
		defer s.Close()
		if fd, err := unix.Open("/dev/tty", unix.O_RDWR|unix.O_CLOEXEC, 0); err == nil {
			unix.Close(fd)
			os.Stdout.WriteString("acquired a controlling terminal")
			os.Exit(1)
		}
		os.Exit(0)
	}
	_, line := openPty(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFileNoControllingTerminal$")
	cmd.Env = append(os.Environ(), "SINK_CTTY_HELPER=/dev/"+line)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
}

// TestFileFullDisk fills a 64 KiB tmpfs under a file: the write that runs
// out of space stops in the middle of a line, which is cut back off; the
// lines not written are counted; while the disk stays full nothing is
// written, not even a line that would fit in the last block (which made
// the error and the recovery alternate); once space returns the file is
// written again.
func TestFileFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mount -t tmpfs")
	}
	dir := t.TempDir()
	if err := unix.Mount("gsyslogd-test", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 13*4096), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "f")
	s, err := OpenFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	line := func(i int) string {
		l := "line " + strconv.Itoa(i) + " "
		return l + strings.Repeat("x", 199-len(l)) + "\n"
	}
	for i := range 300 {
		if err := s.Write([]byte(line(i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	err = s.Flush()
	var dr *Dropped
	if !errors.As(err, &dr) || !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("Flush = %v, want a *Dropped for ENOSPC", err)
	}
	// The free space, in 4 KiB pages, is no multiple of the 200-byte
	// line: the write stopped inside a line.
	b, _ := os.ReadFile(path)
	kept := len(b) / 200
	var want strings.Builder
	for i := range kept {
		want.WriteString(line(i))
	}
	if string(b) != want.String() || kept == 0 {
		t.Fatalf("file holds %d bytes, want %d whole lines (%d bytes): ends %q", len(b), kept, want.Len(), b[max(0, len(b)-30):])
	}
	if dr.Lines != 300-kept {
		t.Errorf("%d lines dropped, want %d", dr.Lines, 300-kept)
	}

	// Still full: short lines would fit in the last block, but are not
	// written.
	s.Write([]byte("a\n"), nil)
	s.Write([]byte("b\n"), nil)
	if err := s.Flush(); !errors.As(err, &dr) || dr.Lines != 2 {
		t.Errorf("Flush on a full disk = %v, want 2 lines dropped", err)
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Errorf("written on a full disk: %q", b2[len(b):])
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("after\n"), nil)
	if err := s.Flush(); err != nil {
		t.Fatalf("Flush after space returned: %v", err)
	}
	if b2, _ := os.ReadFile(path); string(b2) != want.String()+"after\n" {
		t.Errorf("file ends %q", b2[max(0, len(b2)-30):])
	}
}

// TestFifoLongLine: a line longer than PIPE_BUF goes into a pipe whole or
// not at all; the pipe's reader never reads a cut line.
func TestFifoLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFifo(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(r)
	drain := func() string {
		var b []byte
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(r, buf)
			if n <= 0 || err != nil {
				return string(b)
			}
			b = append(b, buf[:n]...)
		}
	}
	// Lines of more than half a page take a page each: all pages but
	// one full, more than 8000 bytes free, but room for only 4096.
	size, err := unix.FcntlInt(uintptr(r), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	short := strings.Repeat("s", 2099) + "\n"
	long := strings.Repeat("l", 7999) + "\n"
	written := ""
	for range size/4096 - 1 {
		if err := s.Write([]byte(short), nil); err != nil {
			t.Fatal(err)
		}
		written += short
	}
	if err := s.Write([]byte(long), nil); err == nil {
		t.Fatal("a long line written to a full pipe")
	}
	if got := drain(); got != written {
		t.Fatalf("the pipe holds %d bytes, ending %q; want %d short lines", len(got), got[max(0, len(got)-20):], len(written)/2100)
	}
	if err := s.Write([]byte(long), nil); err != nil {
		t.Fatalf("a long line to an empty pipe: %v", err)
	}
	if got := drain(); got != long {
		t.Fatalf("read %d bytes, want the long line", len(got))
	}
}
