//go:build unix

package daemon

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv selects what the test binary does when a test runs it as a
// child: the name of a function in helpers.
const helperEnv = "DAEMON_TEST_HELPER"

// reportEnv names the file where a helper writes what it saw.
const reportEnv = "DAEMON_TEST_REPORT"

// helpers are the child programs of the tests, run by TestMain.
var helpers = map[string]func() int{}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		h, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
			os.Exit(100)
		}
		os.Exit(h())
	}
	os.Exit(m.Run())
}

// report appends a line to the helper's report file.
func report(format string, args ...any) {
	f, err := os.OpenFile(os.Getenv(reportEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, format+"\n", args...)
}

// helperCmd returns a command running helper name, reporting to a file in
// dir, and that file's path. The test kills the child when it ends.
func helperCmd(t *testing.T, name string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	rep := filepath.Join(t.TempDir(), "report")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), helperEnv+"="+name, reportEnv+"="+rep), env...)
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, rep
}

// waitCmd waits for cmd to exit, failing the test after d.
func waitCmd(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not exit within %v", cmd.Args[0], d)
		return nil
	}
}

// readReport waits until the report file has a line starting with last,
// and returns the file's lines.
func readReport(t *testing.T, path, last string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		for _, l := range lines {
			if strings.HasPrefix(l, last) {
				return lines
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("report %s: no %q line in %q", path, last, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// field returns the value of the "key value..." line of lines.
func field(lines []string, key string) string {
	for _, l := range lines {
		if k, v, _ := strings.Cut(l, " "); k == key {
			return v
		}
	}
	return ""
}

// freePort returns a TCP (or UDP) port on 127.0.0.1 that was free a moment
// ago, for tools that need a fixed port such as systemd-socket-activate.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// itoa is strconv.Itoa.
func itoa(i int) string { return strconv.Itoa(i) }

// killPID kills a process that is not our child, such as a daemon.
func killPID(pidStr string) {
	pid, err := strconv.Atoi(pidStr)
	if err == nil && pid > 1 {
		unix.Kill(pid, unix.SIGKILL)
	}
}
