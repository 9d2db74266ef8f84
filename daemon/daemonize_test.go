//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	helpers["daemonize"] = helperDaemonize
}

// helperDaemonize daemonizes, reports what the daemon looks like, then does
// $DAEMON_TEST_ACTION: "ready" (once $DAEMON_TEST_GO exists), "fail" or
// "exit". A ready daemon lives until killed, 20 seconds at most.
func helperDaemonize() int {
	err := Daemonize(Options{
		Name:    "dtest",
		Umask:   0o027,
		PIDFile: os.Getenv("DAEMON_TEST_PIDFILE"),
		Env:     []string{"DTEST_EXTRA=from-options"},
	})
	if err != nil {
		if IsDaemon() {
			return 1 // reported to the parent by Daemonize
		}
		fmt.Fprintln(os.Stderr, err)
		return 111
	}
	stat, _ := os.ReadFile("/proc/self/stat")
	// Fields after the ")" that ends the command name: state ppid pgrp session tty_nr.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	cwd, _ := os.Getwd()
	mask := unix.Umask(0)
	unix.Umask(mask)
	report("pid %d", os.Getpid())
	report("sid %d", must(unix.Getsid(0)))
	report("pgid %d", unix.Getpgrp())
	report("tty_nr %s", f[4])
	report("cwd %s", cwd)
	report("umask %o", mask)
	report("isdaemon %v", IsDaemon())
	report("stage %q", os.Getenv(stageEnv))
	report("extra %s", os.Getenv("DTEST_EXTRA"))
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		report("fd%s %s", e.Name(), target)
	}
	report("done")
	switch os.Getenv("DAEMON_TEST_ACTION") {
	case "fail":
		Fail(errors.New("listen tcp 127.0.0.1:13: bind: address already in use"))
		return 1
	case "exit":
		return 3
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(os.Getenv("DAEMON_TEST_GO")); err == nil {
			break
		}
	}
	if err := Ready(); err != nil {
		report("ready %v", err)
	}
	time.Sleep(20 * time.Second)
	return 0
}

func must(v int, err error) int {
	if err != nil {
		return -1
	}
	return v
}

// startDaemon runs the daemonize helper in the foreground, with a leaked
// fd 3 and 4 to check they are closed, and returns the original process,
// the report path and the go file.
func startDaemon(t *testing.T, action string, env ...string) (*procOut, string, string) {
	t.Helper()
	dir := t.TempDir()
	goFile := filepath.Join(dir, "go")
	env = append(env, "DAEMON_TEST_ACTION="+action, "DAEMON_TEST_GO="+goFile)
	cmd, rep := helperCmd(t, "daemonize", env...)
	leak, err := os.Create(filepath.Join(dir, "leaked"))
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	cmd.ExtraFiles = []*os.File{leak, leak}
	p := startOut(t, cmd)
	t.Cleanup(func() {
		b, _ := os.ReadFile(rep)
		if pid := field(strings.Split(string(b), "\n"), "pid"); pid != "" {
			killPID(pid)
		}
	})
	return p, rep, goFile
}

func TestDaemonizeReady(t *testing.T) {
	p, rep, goFile := startDaemon(t, "ready")
	lines := readReport(t, rep, "done")
	select {
	case <-p.done:
		t.Fatalf("original process exited before Ready: %v, stderr %q", p.err, p.stderr.String())
	case <-time.After(200 * time.Millisecond):
	}
	if err := os.WriteFile(goFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("original process: %v, stderr %q", err, p.stderr.String())
	}
	pid, _ := strconv.Atoi(field(lines, "pid"))
	sid, _ := strconv.Atoi(field(lines, "sid"))
	mySid, _ := unix.Getsid(0)
	if sid == pid {
		t.Errorf("daemon (pid %d) is a session leader", pid)
	}
	if sid == mySid || sid <= 0 {
		t.Errorf("daemon session %d: want a new session, not %d", sid, mySid)
	}
	for key, want := range map[string]string{
		"tty_nr": "0", "cwd": "/", "umask": "27", "isdaemon": "true", "stage": `""`, "extra": "from-options",
		"fd0": "/dev/null", "fd1": "/dev/null", "fd2": "/dev/null",
	} {
		if got := field(lines, key); got != want {
			t.Errorf("daemon %s = %q, want %q", key, got, want)
		}
	}
	for _, l := range lines {
		if strings.HasSuffix(l, "/leaked") {
			t.Errorf("daemon inherited a leaked fd: %s", l)
		}
	}
	if !strings.HasPrefix(field(lines, "fd3"), "pipe:") {
		t.Errorf("daemon fd 3 = %q, want the readiness pipe", field(lines, "fd3"))
	}
}

func TestDaemonizeFail(t *testing.T) {
	p, _, _ := startDaemon(t, "fail")
	err := p.wait(t)
	if code := exitCode(err); code != 1 {
		t.Fatalf("original process exit %d (%v), want 1", code, err)
	}
	want := "dtest: listen tcp 127.0.0.1:13: bind: address already in use\n"
	if got := p.stderr.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestDaemonizeExitBeforeReady(t *testing.T) {
	p, rep, _ := startDaemon(t, "exit")
	err := p.wait(t)
	if code := exitCode(err); code != 1 {
		t.Fatalf("original process exit %d (%v), want 1", code, err)
	}
	lines := readReport(t, rep, "done")
	want := fmt.Sprintf("dtest: daemon (pid %s) exited before it was ready\n", field(lines, "pid"))
	if got := p.stderr.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestDaemonizePIDFile(t *testing.T) {
	pidPath := filepath.Join(t.TempDir(), "d.pid")
	p, rep, goFile := startDaemon(t, "ready", "DAEMON_TEST_PIDFILE="+pidPath)
	os.WriteFile(goFile, nil, 0o644)
	if err := p.wait(t); err != nil {
		t.Fatalf("first instance: %v, stderr %q", err, p.stderr.String())
	}
	pid := field(readReport(t, rep, "done"), "pid")
	b, _ := os.ReadFile(pidPath)
	if string(b) != pid+"\n" {
		t.Errorf("pid file holds %q, want %q", b, pid+"\n")
	}
	p2, _, _ := startDaemon(t, "ready", "DAEMON_TEST_PIDFILE="+pidPath)
	err := p2.wait(t)
	want := fmt.Sprintf("dtest: daemonize: pidfile %s: already running (pid %s)\n", pidPath, pid)
	if exitCode(err) != 1 || p2.stderr.String() != want {
		t.Errorf("second instance: %v, stderr %q; want exit 1, %q", err, p2.stderr.String(), want)
	}
}

func TestWaitReady(t *testing.T) {
	for _, tc := range []struct {
		in, stderr string
		code       int
	}{
		{"pid 7\nready\n", "", 0},
		{"pid 7\nfail bind: in use\nsecond line\n", "x: bind: in use\nsecond line\n", 1},
		{"fail daemonize: start daemon: no exe", "x: daemonize: start daemon: no exe\n", 1},
		{"pid 7\n", "x: daemon (pid 7) exited before it was ready\n", 1},
		{"", "x: daemon exited before it was ready\n", 1},
	} {
		var stderr strings.Builder
		code := waitReady(strings.NewReader(tc.in), "x", &stderr)
		if code != tc.code || stderr.String() != tc.stderr {
			t.Errorf("%q: %d, %q; want %d, %q", tc.in, code, stderr.String(), tc.code, tc.stderr)
		}
	}
}
