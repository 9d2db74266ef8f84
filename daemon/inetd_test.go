//go:build unix

package daemon

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func init() {
	helpers["inetdconn"] = func() int {
		c, err := InetdConn()
		if err != nil {
			report("error %v", err)
			return 1
		}
		report("ok %s %s", c.LocalAddr(), c.RemoteAddr())
		c.Write([]byte("hello " + c.RemoteAddr().String() + "\n"))
		c.Close()
		return 0
	}
	helpers["inetdlistener"] = func() int {
		l, err := InetdListener()
		if err != nil {
			report("error %v", err)
			return 1
		}
		report("ok %s", l.Addr())
		c, err := l.Accept()
		if err != nil {
			report("accept %v", err)
			return 1
		}
		c.Write([]byte("hello\n"))
		c.Close()
		return 0
	}
	helpers["inetdpacket"] = func() int {
		pc, err := InetdPacketConn()
		if err != nil {
			report("error %v", err)
			return 1
		}
		report("ok %s", pc.LocalAddr())
		buf := make([]byte, 512)
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			report("read %v", err)
			return 1
		}
		pc.WriteTo(append([]byte("echo "), buf[:n]...), from)
		return 0
	}
}

// runInetd runs helper with stdin on f and returns its report's first line.
func runInetd(t *testing.T, helper string, f *os.File) string {
	t.Helper()
	cmd, rep := helperCmd(t, helper)
	cmd.Stdin = f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	waitCmd(t, cmd, 10*time.Second)
	b, _ := os.ReadFile(rep)
	return strings.TrimSpace(string(b))
}

func tcpPair(t *testing.T) (client net.Conn, server *os.File) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	server, err = s.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	return client, server
}

func TestInetdConn(t *testing.T) {
	client, server := tcpPair(t)
	got := runInetd(t, "inetdconn", server)
	want := "ok " + client.RemoteAddr().String() + " " + client.LocalAddr().String()
	if got != want {
		t.Errorf("report %q, want %q", got, want)
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(client).ReadString('\n')
	if line != "hello "+client.LocalAddr().String()+"\n" {
		t.Errorf("client read %q, %v", line, err)
	}
}

func TestInetdListenerAndPacketConn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lf, _ := l.(*net.TCPListener).File()
	l.Close()
	cmd, rep := helperCmd(t, "inetdlistener")
	cmd.Stdin = lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	waitCmd(t, cmd, 10*time.Second)
	if b, _ := os.ReadFile(rep); line != "hello\n" || string(b) != "ok "+l.Addr().String()+"\n" {
		t.Errorf("listener: client read %q, report %q", line, b)
	}

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pf, _ := pc.(*net.UDPConn).File()
	pc.Close()
	cmd, _ = helperCmd(t, "inetdpacket")
	cmd.Stdin = pf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pf.Close()
	u, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	u.Write([]byte("ping"))
	u.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := u.Read(buf)
	if string(buf[:n]) != "echo ping" {
		t.Errorf("packet conn: read %q, %v", buf[:n], err)
	}
	waitCmd(t, cmd, 10*time.Second)
}

func TestInetdWrongKind(t *testing.T) {
	r, w, _ := os.Pipe()
	defer w.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	lf, _ := l.(*net.TCPListener).File()
	lf2, _ := l.(*net.TCPListener).File()
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer pc.Close()
	pf, _ := pc.(*net.UDPConn).File()
	_, conn := tcpPair(t)
	for _, tc := range []struct {
		helper string
		stdin  *os.File
		want   string
	}{
		{"inetdconn", r, "error inetd conn: fd 0: want a stream socket: not a socket"},
		{"inetdconn", lf, "error inetd conn: fd 0: want a stream socket, have a listening stream socket"},
		{"inetdconn", pf, "error inetd conn: fd 0: want a stream socket, have a datagram socket"},
		{"inetdlistener", conn, "error inetd listener: fd 0: want a listening stream socket, have a stream socket"},
		{"inetdpacket", lf2, "error inetd packet conn: fd 0: want a datagram socket, have a listening stream socket"},
	} {
		if got := runInetd(t, tc.helper, tc.stdin); got != tc.want {
			t.Errorf("%s: got %q\nwant %q", tc.helper, got, tc.want)
		}
	}
}

// TestInetdUnderSystemdSocketActivate runs InetdConn as systemd's
// socket-activate tool starts it with --inetd --accept: one child per
// connection, the connection on fds 0 and 1.
func TestInetdUnderSystemdSocketActivate(t *testing.T) {
	ssa := lookSocketActivate(t)
	port := freePort(t, "tcp")
	addr := net.JoinHostPort("127.0.0.1", itoa(port))
	rep := t.TempDir() + "/report"
	cmd := exec.Command(ssa, "-l", addr, "--inetd", "--accept",
		"-E", helperEnv+"=inetdconn", "-E", reportEnv+"="+rep, os.Args[0])
	startOut(t, cmd)
	for i := 0; i < 2; i++ { // two clients, two children
		c := dialRetry(t, "tcp", addr)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if line != "hello "+c.LocalAddr().String()+"\n" {
			t.Errorf("client %d read %q, %v", i, line, err)
		}
		c.Close()
	}
}

// lookSocketActivate returns the path of systemd-socket-activate, or skips.
func lookSocketActivate(t *testing.T) string {
	p, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed (Debian package systemd)")
	}
	return p
}

// dialRetry dials until the tool has bound its socket, 10 seconds at most.
func dialRetry(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout(network, addr, time.Second)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
