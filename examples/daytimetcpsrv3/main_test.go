package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// asMainEnv makes the test binary run the program itself.
const asMainEnv = "DAYTIMETCPSRV3_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) != "" {
		os.Exit(run(os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}

// syslogd plays the syslog daemon on a short unix datagram path.
func syslogd(t *testing.T) (string, *net.UnixConn) {
	t.Helper()
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
	return path, c
}

// nextLog returns the next syslog message without its time: "<PRI> TAG: MSG".
func nextLog(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("syslog: %v", err)
	}
	m := regexp.MustCompile(`^(<\d+>)[A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d (.*)$`).FindStringSubmatch(string(buf[:n]))
	if m == nil {
		t.Fatalf("syslog message %q: not RFC 3164", buf[:n])
	}
	return m[1] + " " + m[2]
}

// readDaytime reads and checks the server's line from c.
func readDaytime(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %q, %v", line, err)
	}
	got, err := time.ParseInLocation(time.ANSIC+"\r\n", line, time.Local)
	if err != nil || len(line) != 26 || time.Since(got).Abs() > time.Minute {
		t.Errorf("daytime line %q: %v", line, err)
	}
	if rest, err := r.ReadString('\n'); rest != "" || err == nil {
		t.Errorf("after the line: %q, %v; want EOF", rest, err)
	}
}

// TestRunByInetd starts the program as an inetd does for a nowait
// service: the accepted connection on fds 0, 1 and 2.
func TestRunByInetd(t *testing.T) {
	path, logc := syslogd(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := server.(*net.TCPConn).File()
	server.Close()
	cmd := exec.Command(os.Args[0], "-syslog", path, "-facility", "daemon")
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	readDaytime(t, client)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
	if msg, want := nextLog(t, logc), "<30> daytimetcpsrv3["; !strings.HasPrefix(msg, want) ||
		!strings.HasSuffix(msg, "]: connection from "+client.LocalAddr().String()) {
		t.Errorf("syslog %q, want %q...connection from %s", msg, want, client.LocalAddr())
	}
}

func TestNotASocket(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-syslog", "/nonexistent")
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	cmd.Stdin = strings.NewReader("") // a pipe
	out, err := cmd.CombinedOutput()
	want := "daytimetcpsrv3: inetd conn: fd 0: want a stream socket: not a socket\n"
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || string(out) != want {
		t.Errorf("got %v, %q; want exit 1, %q", err, out, want)
	}
}

// TestUnderSystemdSocketActivate runs the program as systemd runs an
// Accept=yes inetd-style service.
func TestUnderSystemdSocketActivate(t *testing.T) {
	ssa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed (Debian package systemd)")
	}
	path, logc := syslogd(t)
	addr := freeAddr(t)
	cmd := exec.Command(ssa, "-l", addr, "--inetd", "--accept", "-E", asMainEnv+"=1",
		os.Args[0], "-syslog", path)
	startKilled(t, cmd)
	for range 2 {
		c := dialRetry(t, addr)
		readDaytime(t, c)
		if msg := nextLog(t, logc); !strings.HasSuffix(msg, "]: connection from "+c.LocalAddr().String()) {
			t.Errorf("syslog %q", msg)
		}
		c.Close()
	}
}

// freeAddr returns 127.0.0.1:PORT with a port that was free a moment ago,
// for tools that need a fixed one.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startKilled starts cmd and kills it when the test ends.
func startKilled(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

// dialRetry dials until the server has bound its socket, 10 seconds at most.
func dialRetry(t *testing.T, addr string) net.Conn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
