package control

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/supervisor"
)

type nopHandler struct{}

func (nopHandler) Status() ([]supervisor.ServiceStatus, error) { return nil, nil }
func (nopHandler) Reload() error                               { return nil }
func (nopHandler) Stop() error                                 { return nil }
func (nopHandler) Upgrade() error                              { return nil }
func (nopHandler) Finish(string)                               {}

var discard = slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))

// TestListenNeverExposed: even under umask 0 the socket never appears at
// its path with a wider mode: it is created elsewhere and renamed there
// (no IN_CREATE of the name, one IN_MOVED_TO), already mode 0600.
func TestListenNeverExposed(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	in, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Skip("inotify:", err)
	}
	defer unix.Close(in)
	if _, err := unix.InotifyAddWatch(in, dir, unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ctl")
	s, err := Listen(path, nopHandler{}, discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var buf [4096]byte
	n, err := unix.Read(in, buf[:])
	if err != nil {
		t.Fatal("no inotify event:", err)
	}
	moved := false
	for b := buf[:n]; len(b) >= unix.SizeofInotifyEvent; {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		name := strings.TrimRight(string(b[unix.SizeofInotifyEvent:unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
		if name == "ctl" && ev.Mask&unix.IN_CREATE != 0 {
			t.Errorf("the socket was created at its path")
		}
		if name == "ctl" && ev.Mask&unix.IN_MOVED_TO != 0 {
			moved = true
		}
		b = b[unix.SizeofInotifyEvent+int(ev.Len):]
	}
	if !moved {
		t.Errorf("no rename to the path")
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want a socket with 0600", fi.Mode())
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".ginetd-ctl*")); len(m) > 0 {
		t.Errorf("left behind: %v", m)
	}
}

// TestListenLeavesOthers: a file, a directory or a symbolic link at the
// path is an error and stays as it was; Close removes only its own socket.
func TestListenLeavesOthers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep"), 0o644)
	sub := filepath.Join(dir, "dir")
	os.Mkdir(sub, 0o755)
	link := filepath.Join(dir, "link")
	os.Symlink(file, link)
	for _, p := range []string{file, sub, link} {
		if s, err := Listen(p, nopHandler{}, discard); err == nil {
			s.Close()
			t.Errorf("%s: Listen succeeded", p)
		} else if !strings.Contains(err.Error(), "is not a socket") {
			t.Errorf("%s: %v", p, err)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep" {
		t.Errorf("file: %q, %v", b, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link: %v, %v", fi, err)
	}

	// A path taken over after Listen is not removed by Close.
	path := filepath.Join(dir, "ctl")
	s, err := Listen(path, nopHandler{}, discard)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	os.WriteFile(path, []byte("new"), 0o644)
	s.Close()
	if b, err := os.ReadFile(path); err != nil || string(b) != "new" {
		t.Errorf("Close removed what took the path: %q, %v", b, err)
	}
}

// TestHandleLongLine: a client that sends a line longer than any command,
// with no newline, is answered after maxLine bytes instead of being read
// for as long as it sends.
func TestHandleLongLine(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	go handle(server, nopHandler{})
	go client.Write(bytes.Repeat([]byte("x"), 1<<20)) // stops at the pipe's close
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	var r Reply
	if err := json.NewDecoder(client).Decode(&r); err != nil {
		t.Fatalf("no reply: %v", err)
	}
	if r.OK || !strings.Contains(r.Error, "unknown command") {
		t.Fatalf("reply %+v, want an unknown-command error", r)
	}
}
