package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles a package of this module into dir, or skips the test when
// it does not build (cmd/ginetd is developed alongside).
func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// TestUnderGinetd runs daytimetcpsrv3 the way a user would: an inetd.conf
// line with port 0, ginetd in the foreground, the bound address read from
// its log.
func TestUnderGinetd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	dir := t.TempDir()
	ginetd := build(t, dir, "github.com/ginetd/ginetd/cmd/ginetd")
	server := build(t, dir, "github.com/ginetd/ginetd/examples/daytimetcpsrv3")
	logPath, logc := syslogd(t)
	conf := filepath.Join(dir, "inetd.conf")
	line := "127.0.0.1:0 stream tcp nowait root " + server + " daytimetcpsrv3 -syslog " + logPath + "\n"
	if err := os.WriteFile(conf, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ginetd, "-d", "-control", "none", "-hosts-allow", "none", conf)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	startKilled(t, cmd)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// waitLog returns the first ginetd log line matching re.
	waitLog := func(re string) []string {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("ginetd exited before logging %q", re)
				}
				if m := regexp.MustCompile(re).FindStringSubmatch(l); m != nil {
					return m
				}
			case <-timeout:
				t.Fatalf("ginetd did not log %q", re)
			}
		}
	}
	addr := waitLog(`msg=listen .*addr=(127\.0\.0\.1:\d+)`)[1]
	for range 2 {
		c := dialRetry(t, addr)
		readDaytime(t, c)
		if msg := nextLog(t, logc); !strings.HasSuffix(msg, "]: connection from "+c.LocalAddr().String()) {
			t.Errorf("syslog %q", msg)
		}
		c.Close()
		waitLog(`msg=exit .*status="exit 0"`)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ginetd exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("ginetd did not stop on SIGTERM")
	}
}
