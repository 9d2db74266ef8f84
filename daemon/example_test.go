//go:build unix

package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ginetd/ginetd/daemon"
)

// The book's daytimetcpsrv2: check the arguments, detach, bind, report.
func ExampleDaemonize() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: daytimed PORT") // still on the terminal
		os.Exit(2)
	}
	err := daemon.Daemonize(daemon.Options{Name: "daytimed", Facility: daemon.Daemon, PIDFile: "/run/daytimed.pid"})
	if err != nil {
		os.Exit(1) // the original process has printed err
	}
	// Now the daemon: no terminal, cwd "/", stdio on /dev/null.
	l, err := net.Listen("tcp", ":"+os.Args[1])
	if err != nil {
		daemon.Fail(err) // the command exits 1 with this message
		os.Exit(1)
	}
	daemon.Ready() // the command exits 0
	slog.Info("listening", "addr", l.Addr())
}

func ExampleIsDaemon() {
	fmt.Println(daemon.IsDaemon())
	// Output: false
}

func ExampleDaemonPIDFile() {
	if pf := daemon.DaemonPIDFile(); pf != nil {
		defer pf.Remove() // at shutdown
	}
	fmt.Println(daemon.DaemonPIDFile() == nil)
	// Output: true
}

func ExampleOpenPIDFile() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "daytimed.pid")

	pf, err := daemon.OpenPIDFile(path)
	if err != nil {
		log.Fatal(err) // "pidfile ...: already running (pid N)"
	}
	_, err = daemon.OpenPIDFile(path) // a second instance
	fmt.Println(strings.Contains(err.Error(), "already running"))
	pf.Remove()
	// Output: true
}

func ExamplePIDFile_Update() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	pf, _ := daemon.OpenPIDFile(filepath.Join(dir, "x.pid"))
	defer pf.Remove()

	pf.Update(12345) // a binary upgrade: the new process serves now
	b, _ := os.ReadFile(pf.Path())
	fmt.Print(string(b))
	// Output: 12345
}

func ExamplePIDFile_Remove() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	pf, _ := daemon.OpenPIDFile(filepath.Join(dir, "x.pid"))
	pf.Remove()
	_, err := os.Stat(pf.Path())
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output: true
}

// notifySocket plays the service manager for the examples.
func notifySocket() (recv func() string, done func()) {
	dir, _ := os.MkdirTemp("", "n")
	path := filepath.Join(dir, "notify")
	c, _ := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	os.Setenv("NOTIFY_SOCKET", path)
	recv = func() string {
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, _ := c.Read(buf)
		return strings.ReplaceAll(string(buf[:n]), "\n", " ")
	}
	return recv, func() { os.Unsetenv("NOTIFY_SOCKET"); c.Close(); os.RemoveAll(dir) }
}

func ExampleNotify() {
	sent, err := daemon.Notify("STATUS=no service manager")
	fmt.Println(sent, err)

	recv, done := notifySocket()
	defer done()
	sent, err = daemon.Notify("STATUS=3 clients")
	fmt.Println(sent, err, recv())
	// Output:
	// false <nil>
	// true <nil> STATUS=3 clients
}

func ExampleReady() {
	recv, done := notifySocket()
	defer done()
	err := daemon.Ready()
	fmt.Println(err, recv())
	// Output: <nil> READY=1
}

func ExampleFail() {
	recv, done := notifySocket()
	defer done()
	_, err := net.Listen("tcp", "127.0.0.1:-1")
	daemon.Fail(err)
	fmt.Println(recv())
	// Output: STATUS=listen tcp: address -1: invalid port
}

func ExampleReloading() {
	recv, done := notifySocket()
	defer done()
	daemon.Reloading()
	// ... read the configuration again ...
	msg := recv()
	daemon.Ready()
	fmt.Println(strings.HasPrefix(msg, "RELOADING=1 MONOTONIC_USEC="), recv())
	// Output: true READY=1
}

func ExampleStopping() {
	recv, done := notifySocket()
	defer done()
	daemon.Stopping()
	fmt.Println(recv())
	// Output: STOPPING=1
}

func ExampleWatchdog() {
	recv, done := notifySocket()
	defer done()
	daemon.Watchdog()
	fmt.Println(recv())
	// Output: WATCHDOG=1
}

func ExampleWatchdogInterval() {
	os.Setenv("WATCHDOG_USEC", "30000000") // as systemd sets WatchdogSec=30
	defer os.Unsetenv("WATCHDOG_USEC")
	if d, ok := daemon.WatchdogInterval(); ok {
		fmt.Println("ping every", d/2)
	}
	// Output: ping every 15s
}

// The book's daytimetcpsrv3, run by an inetd with the client on fd 0.
func ExampleInetdConn() {
	conn, err := daemon.InetdConn()
	if err != nil {
		log.Fatal(err) // "inetd conn: fd 0: want a stream socket: not a socket"
	}
	defer conn.Close()
	daemon.Logger("daytimed", daemon.Daemon, daemon.LogOptions{PID: true}).
		Info("connection from " + conn.RemoteAddr().String())
	fmt.Fprintf(conn, "%.24s\r\n", time.Now().Format(time.ANSIC))
}

// An inetd "dgram wait" service: read the waiting datagram, answer it.
func ExampleInetdPacketConn() {
	pc, err := daemon.InetdPacketConn()
	if err != nil {
		log.Fatal(err)
	}
	defer pc.Close()
	buf := make([]byte, 512)
	pc.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, from, err := pc.ReadFrom(buf)
	if err == nil {
		pc.WriteTo(buf[:n], from)
	}
}

// An inetd "stream wait" service accepts its clients itself, and exits when
// idle; the inetd watches the socket again.
func ExampleInetdListener() {
	l, err := daemon.InetdListener()
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	l.(*net.TCPListener).SetDeadline(time.Now().Add(time.Minute))
	for {
		c, err := l.Accept()
		if err != nil {
			return // idle for a minute
		}
		io.Copy(c, c)
		c.Close()
	}
}

func ExampleListeners() {
	ls, err := daemon.Listeners()
	if err != nil {
		log.Fatal(err)
	}
	if len(ls) == 0 { // not socket-activated: bind ourselves
		fmt.Println("not socket-activated")
	}
	// Output: not socket-activated
}

func ExampleListenersWithNames() {
	m, err := daemon.ListenersWithNames() // FileDescriptorName=http in the .socket unit
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(m["http"]))
	// Output: 0
}

func ExamplePacketConns() {
	pcs, err := daemon.PacketConns()
	fmt.Println(len(pcs), err)
	// Output: 0 <nil>
}

func ExampleFiles() {
	files, err := daemon.Files()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.Name()) // then net.FileListener or net.FilePacketConn
	}
	fmt.Println(len(files))
	// Output: 0
}

func ExampleParseFacility() {
	f, err := daemon.ParseFacility("LOG_LOCAL3")
	fmt.Println(f, int(f), err)
	// Output: local3 19 <nil>
}

func ExampleFacility_String() {
	fmt.Println(daemon.Daemon, daemon.AuthPriv)
	// Output: daemon authpriv
}

// syslogSocket plays the syslog daemon for the examples.
func syslogSocket() (path string, recv func() string, done func()) {
	dir, _ := os.MkdirTemp("", "l")
	path = filepath.Join(dir, "log")
	c, _ := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	recv = func() string {
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, _ := c.Read(buf)
		msg := string(buf[:n])
		return msg[:strings.IndexByte(msg, '>')+1] + " " + msg[strings.IndexByte(msg, '>')+17:] // drop the time
	}
	return path, recv, func() { c.Close(); os.RemoveAll(dir) }
}

func ExampleLogger() {
	path, recv, done := syslogSocket()
	defer done()
	log := daemon.Logger("daytimed", daemon.Daemon, daemon.LogOptions{Path: path}) // Path: empty for /dev/log
	_, err := os.Open("/nonexistent")
	log.Error("open config", "err", err)
	fmt.Println(recv())
	// Output: <27> daytimed: open config err="open /nonexistent: no such file or directory"
}

func ExampleNewSyslogHandler() {
	path, recv, done := syslogSocket()
	defer done()
	h := daemon.NewSyslogHandler("ginetd", daemon.Local0, daemon.LogOptions{Path: path, Level: slog.LevelDebug})
	slog.New(h).With("svc", "daytime").Log(context.Background(), daemon.LevelNotice, "reload")
	fmt.Println(recv())
	// Output: <133> ginetd: reload svc=daytime
}

func ExampleErrno() {
	_, err := os.Open("/nonexistent")
	fmt.Println(daemon.Errno(err)) // what %m prints
	// Output: no such file or directory
}
