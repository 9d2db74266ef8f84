//go:build unix

package daemon

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// listenGram opens a unix datagram socket with a short path (sun_path holds
// about 108 bytes; t.TempDir can be longer) and returns it and its path.
func listenGram(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "d")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

// recvGram reads one datagram, failing after a few seconds.
func recvGram(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("read %s: %v", c.LocalAddr(), err)
	}
	return string(buf[:n])
}

func TestNotifyUnset(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if ok, err := Notify("READY=1"); ok || err != nil {
		t.Errorf("Notify without NOTIFY_SOCKET = %v, %v; want false, nil", ok, err)
	}
}

func TestNotifySent(t *testing.T) {
	c, path := listenGram(t)
	t.Setenv("NOTIFY_SOCKET", path)
	for _, tc := range []struct {
		name string
		call func() (bool, error)
		want string
	}{
		{"Notify", func() (bool, error) { return Notify("STATUS=busy", "X=1") }, "STATUS=busy\nX=1"},
		{"Ready", func() (bool, error) { return true, Ready() }, "READY=1"},
		{"Stopping", Stopping, "STOPPING=1"},
		{"Watchdog", Watchdog, "WATCHDOG=1"},
		{"Reloading", Reloading, "RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*"},
		{"Fail", func() (bool, error) { Fail(fmt.Errorf("bind: %w", os.ErrPermission)); return true, nil }, "STATUS=bind: permission denied"},
	} {
		ok, err := tc.call()
		if !ok || err != nil {
			t.Errorf("%s = %v, %v; want true, nil", tc.name, ok, err)
			continue
		}
		got := recvGram(t, c)
		if !regexp.MustCompile(`^` + tc.want + `$`).MatchString(got) {
			t.Errorf("%s sent %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestNotifyAbstract(t *testing.T) {
	name := "@ginetd-daemon-test-" + strconv.Itoa(os.Getpid())
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Skipf("abstract sockets: %v", err)
	}
	defer c.Close()
	t.Setenv("NOTIFY_SOCKET", name)
	if ok, err := Notify("READY=1"); !ok || err != nil {
		t.Fatalf("Notify = %v, %v", ok, err)
	}
	if got := recvGram(t, c); got != "READY=1" {
		t.Errorf("got %q", got)
	}
}

func TestNotifyFails(t *testing.T) {
	for _, addr := range []string{filepath.Join(t.TempDir(), "none"), "relative/path"} {
		t.Setenv("NOTIFY_SOCKET", addr)
		ok, err := Notify("READY=1")
		if ok || err == nil {
			t.Errorf("Notify to %q = %v, %v; want false and an error", addr, ok, err)
		}
	}
}

func TestWatchdogInterval(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		ok        bool
	}{
		{"", "", 0, false},
		{"30000000", "", 30 * time.Second, true},
		{"500000", me, 500 * time.Millisecond, true},
		{"500000", "1", 0, false},
		{"0", "", 0, false},
		{"-5", "", 0, false},
		{"abc", "", 0, false},
		{"500000", "abc", 0, false},
	} {
		t.Setenv("WATCHDOG_USEC", tc.usec)
		t.Setenv("WATCHDOG_PID", tc.pid)
		d, ok := WatchdogInterval()
		if d != tc.want || ok != tc.ok {
			t.Errorf("USEC=%q PID=%q: got %v, %v; want %v, %v", tc.usec, tc.pid, d, ok, tc.want, tc.ok)
		}
	}
}
