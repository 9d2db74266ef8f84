package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asMainEnv makes the test binary run the program itself, so that
// Daemonize's re-execution of /proc/self/exe runs it too.
const asMainEnv = "DAYTIMETCPSRV2_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) != "" {
		os.Exit(run(os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}

// command runs the program with args; the test kills it when it ends.
func command(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// syslogd plays the syslog daemon on a short unix datagram path.
type syslogd struct {
	t    *testing.T
	path string
	c    *net.UnixConn
}

func newSyslogd(t *testing.T) *syslogd {
	dir, err := os.MkdirTemp("", "d")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &syslogd{t, path, c}
}

// next returns the next message, with its priority and time checked and
// removed: "daytimetcpsrv2[PID]: MSG".
func (s *syslogd) next() string {
	s.t.Helper()
	s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, err := s.c.Read(buf)
	if err != nil {
		s.t.Fatalf("syslog: %v", err)
	}
	msg := string(buf[:n])
	re := regexp.MustCompile(`^<14>[A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d (.*)$`)
	m := re.FindStringSubmatch(msg)
	if m == nil {
		s.t.Fatalf("syslog message %q: not <14>Mmm dd hh:mm:ss ...", msg)
	}
	return m[1]
}

// checkDaytime dials addr and checks the line it sends.
func checkDaytime(t *testing.T, addr string) net.Addr {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read %s: %q, %v", addr, line, err)
	}
	got, err := time.ParseInLocation(time.ANSIC+"\r\n", line, time.Local)
	if err != nil || len(line) != 26 || time.Since(got).Abs() > time.Minute {
		t.Errorf("daytime line %q: %v", line, err)
	}
	return c.LocalAddr()
}

func TestDaemon(t *testing.T) {
	sl := newSyslogd(t)
	pidfile := filepath.Join(t.TempDir(), "d.pid")
	cmd := command(t, "-syslog", sl.path, "-pidfile", pidfile, "127.0.0.1", "0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("start: %v, stderr %q", err, stderr.String())
	}
	b, _ := os.ReadFile(pidfile)
	pid := strings.TrimSpace(string(b))
	t.Cleanup(func() {
		var p int
		fmt.Sscan(pid, &p)
		if p > 1 {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	msg := sl.next()
	prefix := "daytimetcpsrv2[" + pid + "]: listening on "
	if !strings.HasPrefix(msg, prefix) {
		t.Fatalf("first message %q, want %q", msg, prefix+"ADDR")
	}
	addr := strings.TrimPrefix(msg, prefix)
	for range 2 {
		client := checkDaytime(t, addr)
		if msg, want := sl.next(), "daytimetcpsrv2["+pid+"]: connection from "+client.String(); msg != want {
			t.Errorf("got %q, want %q", msg, want)
		}
	}

	// A second instance refuses to start, on the terminal.
	cmd2 := command(t, "-syslog", sl.path, "-pidfile", pidfile, "127.0.0.1", "0")
	out, err := cmd2.CombinedOutput()
	if want := "already running (pid " + pid + ")"; err == nil || !strings.Contains(string(out), want) {
		t.Errorf("second instance: %v, %q; want exit 1 and %q", err, out, want)
	}

	var p int
	fmt.Sscan(pid, &p)
	syscall.Kill(p, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(pidfile); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pid file still there after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestForeground(t *testing.T) {
	sl := newSyslogd(t)
	cmd := command(t, "-f", "-syslog", sl.path, "-facility", "user", "127.0.0.1", "0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	msg := sl.next()
	_, addr, ok := strings.Cut(msg, "]: listening on ")
	if !ok {
		t.Fatalf("first message %q", msg)
	}
	checkDaytime(t, addr)
	sl.next()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "]: connection from 127.0.0.1:") {
		t.Errorf("foreground stderr lacks the log: %q", stderr.String())
	}
}

func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: daytimetcpsrv2"},
		{[]string{"a", "b", "c"}, 2, "usage: daytimetcpsrv2"},
		{[]string{"127.0.0.1", "no-such-service"}, 2, "service no-such-service: unknown tcp service"},
		{[]string{"-facility", "bogus", "13"}, 2, `unknown syslog facility`},
		{[]string{"-syslog", "/nonexistent", "127.0.0.1", port}, 1, "daytimetcpsrv2: listen tcp 127.0.0.1:" + port + ": bind: address already in use\n"},
	} {
		cmd := command(t, tc.args...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("%q: exit %d, %q; want %d, %q", tc.args, code, out, tc.code, tc.want)
		}
	}
}

func TestServiceName(t *testing.T) {
	cfg, err := parseArgs([]string{"localhost", "daytime"}, os.Stderr)
	if err != nil {
		t.Skipf("no daytime in /etc/services (Debian package netbase): %v", err)
	}
	if cfg.addr != "localhost:13" {
		t.Errorf("addr %q, want localhost:13", cfg.addr)
	}
}

func TestDaytimeFormat(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 26, 0, 55, 0, 0, time.UTC), "Thu Nov 26 00:55:00 2026\r\n"},
		{time.Date(2026, 1, 5, 13, 4, 9, 0, time.UTC), "Mon Jan  5 13:04:09 2026\r\n"},
	} {
		if got := daytime(tc.t); got != tc.want {
			t.Errorf("daytime(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}
