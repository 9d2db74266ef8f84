//go:build unix

package daemon

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	helpers["activation"] = helperActivation
}

// helperActivation takes the activated sockets the way $DAEMON_TEST_MODE
// says, reports them, and serves one client on each.
func helperActivation() int {
	if os.Getenv("FIX_LISTEN_PID") != "" {
		os.Setenv("LISTEN_PID", itoa(os.Getpid()))
	}
	defer func() {
		report("env LISTEN_PID=%s LISTEN_FDS=%s LISTEN_FDNAMES=%s",
			os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES"))
	}()
	var ls []net.Listener
	switch os.Getenv("DAEMON_TEST_MODE") {
	case "listeners":
		var err error
		if ls, err = Listeners(); err != nil {
			report("error %v", err)
			return 1
		}
		report("listeners %d", len(ls))
	case "names":
		m, err := ListenersWithNames()
		if err != nil {
			report("error %v", err)
			return 1
		}
		var names []string
		for name, l := range m {
			names = append(names, fmt.Sprintf("%s=%d", name, len(l)))
			ls = append(ls, l...)
		}
		sort.Strings(names)
		report("names %s", strings.Join(names, " "))
	case "files":
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		files, err := Files()
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			report("allocated %d bytes", n) // sized by LISTEN_FDS
		}
		if err != nil {
			report("error %v", err)
			return 1
		}
		for _, f := range files {
			fd := int(f.Fd())
			typ, lis, err := socketKind(fd)
			flags, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			report("file %d %s %s listening=%v cloexec=%v err=%v", fd, f.Name(), kindName(typ), lis, flags&unix.FD_CLOEXEC != 0, err)
		}
	case "packet":
		pcs, err := PacketConns()
		if err != nil {
			report("error %v", err)
			return 1
		}
		report("packetconns %d", len(pcs))
		for _, pc := range pcs {
			buf := make([]byte, 512)
			pc.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, from, err := pc.ReadFrom(buf)
			if err == nil {
				pc.WriteTo(append([]byte("echo "), buf[:n]...), from)
			}
		}
	}
	var wg sync.WaitGroup
	for _, l := range ls { // concurrently: the test dials them in its own order
		wg.Go(func() {
			l.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now().Add(10 * time.Second))
			c, err := l.Accept()
			if err != nil {
				report("accept %v", err)
				return
			}
			fmt.Fprintf(c, "hello %s\n", l.Addr())
			c.Close()
		})
	}
	wg.Wait()
	return 0
}

// activationCmd runs the helper in mode with files as LISTEN_FDS.
func activationCmd(t *testing.T, mode string, files []*os.File, env ...string) (*exec.Cmd, string) {
	t.Helper()
	env = append(env, "DAEMON_TEST_MODE="+mode, fmt.Sprintf("LISTEN_FDS=%d", len(files)))
	cmd, rep := helperCmd(t, "activation", env...)
	cmd.ExtraFiles = files
	return cmd, rep
}

func tcpListenerFile(t *testing.T) (string, *os.File) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return l.Addr().String(), f
}

func udpFile(t *testing.T) (string, *os.File) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.(*net.UDPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return c.LocalAddr().String(), f
}

// hello dials addr and returns the line the helper writes.
func hello(t *testing.T, addr string) string {
	t.Helper()
	c := dialRetry(t, "tcp", addr)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}

const envUnset = "env LISTEN_PID= LISTEN_FDS= LISTEN_FDNAMES="

func TestListenersWithNames(t *testing.T) {
	a1, f1 := tcpListenerFile(t)
	a2, f2 := tcpListenerFile(t)
	a3, f3 := tcpListenerFile(t)
	cmd, rep := activationCmd(t, "names", []*os.File{f1, f2, f3}, "FIX_LISTEN_PID=1", "LISTEN_FDNAMES=web:web:admin")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{a1, a2, a3} {
		if got := hello(t, a); got != "hello "+a+"\n" {
			t.Errorf("%s: read %q", a, got)
		}
	}
	waitCmd(t, cmd, 10*time.Second)
	lines := readReport(t, rep, "env")
	if got := field(lines, "names"); got != "admin=1 web=2" {
		t.Errorf("names %q, want %q (report %q)", got, "admin=1 web=2", lines)
	}
	if lines[len(lines)-1] != envUnset {
		t.Errorf("environment after: %q", lines[len(lines)-1])
	}
}

func TestFilesCloseOnExecAndDefaultNames(t *testing.T) {
	_, f1 := tcpListenerFile(t)
	_, f2 := udpFile(t)
	cmd, rep := activationCmd(t, "files", []*os.File{f1, f2}, "FIX_LISTEN_PID=1")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	got := readReport(t, rep, "env")
	want := []string{
		"file 3 unknown stream socket listening=true cloexec=true err=<nil>",
		"file 4 unknown datagram socket listening=false cloexec=true err=<nil>",
		envUnset,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("report:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestListenersErrors(t *testing.T) {
	_, l := tcpListenerFile(t)
	_, u := udpFile(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	for _, tc := range []struct {
		name  string
		mode  string
		files []*os.File
		env   []string
		want  string
	}{
		{"not for us", "listeners", []*os.File{l}, []string{"LISTEN_PID=1"}, "listeners 0"},
		{"datagram among listeners", "listeners", []*os.File{l, u}, []string{"FIX_LISTEN_PID=1", "LISTEN_FDNAMES=web:dns"},
			"error socket activation: fd 4 (dns): not a listening socket"},
		{"stream among packet conns", "packet", []*os.File{u, l}, []string{"FIX_LISTEN_PID=1"},
			"error socket activation: fd 4 (unknown): a stream socket, not a datagram socket"},
		{"bad count", "listeners", nil, []string{"FIX_LISTEN_PID=1", "LISTEN_FDS=two"},
			`error socket activation: LISTEN_FDS="two": not a count`},
		{"fd not a socket", "listeners", []*os.File{pr}, []string{"FIX_LISTEN_PID=1"},
			"error socket activation: fd 3 (unknown): not a socket"},
		// An absurd count is an error, not an allocation or a loop over
		// billions of fds (it was make([]*os.File, 0, n): out of memory).
		{"count beyond the fd limit", "files", []*os.File{l}, []string{"FIX_LISTEN_PID=1", "LISTEN_FDS=2147483647"},
			"error socket activation: LISTEN_FDS=2147483647: more fds than the descriptor limit (*) allows"},
		{"count beyond int", "files", []*os.File{l}, []string{"FIX_LISTEN_PID=1", "LISTEN_FDS=99999999999999999999"},
			`error socket activation: LISTEN_FDS="99999999999999999999": not a count`},
		{"negative count", "files", []*os.File{l}, []string{"FIX_LISTEN_PID=1", "LISTEN_FDS=-1"},
			`error socket activation: LISTEN_FDS="-1": not a count`},
		{"count beyond the open fds", "files", []*os.File{l}, []string{"FIX_LISTEN_PID=1", "LISTEN_FDS=1000"},
			"error socket activation: fd * of LISTEN_FDS=1000: bad file descriptor"},
	} {
		cmd, rep := activationCmd(t, tc.mode, tc.files, tc.env...)
		cmd.Env = append(cmd.Env, tc.env...) // later entries win: LISTEN_FDS override
		cmd.Run()
		lines := readReport(t, rep, "env")
		if ok, _ := path.Match(tc.want, lines[0]); !ok || lines[len(lines)-1] != envUnset {
			t.Errorf("%s: report %q, want %q then %q", tc.name, lines, tc.want, envUnset)
		}
	}
}

// TestListenersUnderSystemdSocketActivate lets systemd's tool pass the
// sockets: Accept=no with names, Accept=yes, and datagram.
func TestListenersUnderSystemdSocketActivate(t *testing.T) {
	ssa := lookSocketActivate(t)
	run := func(mode string, args ...string) string {
		rep := t.TempDir() + "/report"
		args = append(args, "-E", helperEnv+"=activation", "-E", reportEnv+"="+rep,
			"-E", "DAEMON_TEST_MODE="+mode, os.Args[0])
		startOut(t, exec.Command(ssa, args...))
		return rep
	}

	t.Run("accept=no", func(t *testing.T) {
		addr := net.JoinHostPort("127.0.0.1", itoa(freePort(t, "tcp")))
		rep := run("names", "-l", addr, "--fdname=daytime")
		// The first connection starts the helper, which accepts it.
		if got := hello(t, addr); got != "hello "+addr+"\n" {
			t.Errorf("read %q", got)
		}
		lines := readReport(t, rep, "env")
		if field(lines, "names") != "daytime=1" || lines[len(lines)-1] != envUnset {
			t.Errorf("report %q", lines)
		}
	})
	t.Run("accept=yes", func(t *testing.T) {
		addr := net.JoinHostPort("127.0.0.1", itoa(freePort(t, "tcp")))
		rep := run("listeners", "-l", addr, "-a")
		c := dialRetry(t, "tcp", addr)
		defer c.Close()
		lines := readReport(t, rep, "env")
		want := "error socket activation: fd 3 (unknown): a connected stream socket, not a listening socket (Accept=yes?)"
		if lines[0] != want {
			t.Errorf("report %q, want %q", lines, want)
		}
	})
	t.Run("datagram", func(t *testing.T) {
		addr := net.JoinHostPort("127.0.0.1", itoa(freePort(t, "udp")))
		rep := run("packet", "-d", "-l", addr)
		u, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer u.Close()
		buf := make([]byte, 64)
		// Resend until the tool is up and the helper answers.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			u.Write([]byte("ping"))
			u.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if n, err := u.Read(buf); err == nil {
				if string(buf[:n]) != "echo ping" {
					t.Errorf("read %q", buf[:n])
				}
				break
			}
		}
		if lines := readReport(t, rep, "env"); lines[0] != "packetconns 1" {
			t.Errorf("report %q", lines)
		}
	})
}
