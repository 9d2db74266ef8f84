package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
	"golang.org/x/sys/unix"
)

// More script commands: ports, load and process checks.

// freeport VAR: set $VAR to a TCP port free on both 127.0.0.1 and ::1.
// The script binds it later, so it is drawn below the kernel's ephemeral
// range: the ports other tests' clients and port-0 listeners get meanwhile
// never come from there (one drawn from the range could be taken by then).
// It stays the script's until the script ends (reservePort): a script of
// another test process running at the same time, another package's or
// another checkout's, draws another one.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 1, 1, "freeport VAR")
	lo, hi := freePortRange()
	for i := 0; i < 100; i++ {
		port := 0 // a port from the ephemeral range, when there is no other
		if hi > lo {
			port = lo + rand.IntN(hi-lo)
		}
		l4, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		port = l4.Addr().(*net.TCPAddr).Port
		l6, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", port))
		l4.Close()
		if err != nil {
			continue
		}
		l6.Close()
		release, ok := reservePort(port)
		if !ok {
			continue
		}
		ts.Defer(release)
		ts.Setenv(args[0], strconv.Itoa(port))
		return
	}
	ts.Fatalf("no free port")
}

// reservePort takes port for this process until release: an exclusive
// flock(2) on a file named after it in a directory every test process on
// the machine shares (the lock goes with the process if it dies). It
// reports false if another process holds the port. Between freeport and
// the bind, two scripts that drew the same port would both bind it in
// turn: one fails, and its clients reach the other's server.
func reservePort(port int) (release func(), ok bool) {
	dir := filepath.Join(os.TempDir(), "ginetd-test-ports")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return func() {}, true // no reservation here; the port is free
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return func() {}, true
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	// The file is never removed: a process that opened it before the
	// removal would lock another inode than the next one to create it.
	return func() { f.Close() }, true
}

// freePortRange returns the ports [lo, hi) below the ephemeral range
// (net.ipv4.ip_local_port_range), at most 10,000 of them and none below
// 10000; lo == hi when there is no room.
func freePortRange() (lo, hi int) {
	hi = 32768 // Linux's default start of the range
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				hi = n
			}
		}
	}
	lo = max(hi-10000, 10000)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

var held sync.Map // name → net.Listener

// hold VAR: bind a TCP listener on 127.0.0.1:0, keep it, and set $VAR to
// its port. release VAR closes it.
func cmdHold(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 1, 1, "hold VAR")
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	ts.Check(err)
	held.Store(ts.Getenv("WORK")+args[0], l)
	ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}

func cmdRelease(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 1, 1, "release VAR")
	if l, ok := held.LoadAndDelete(ts.Getenv("WORK") + args[0]); ok {
		l.(net.Listener).Close()
	}
}

// hammer [-c C] N ADDR: make N connections (C at a time, default 8), each
// reading to EOF; every one must get at least one byte.
func cmdHammer(ts *testscript.TestScript, neg bool, args []string) {
	c := 8
	if len(args) > 2 && args[0] == "-c" {
		c, args = scripttest.Count(ts, "hammer", "-c", args[1], 1), args[2:]
	}
	scripttest.Args(ts, args, 2, 2, "hammer [-c C] N ADDR")
	n := scripttest.Count(ts, "hammer", "N", args[0], 1)
	addr := args[1]
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := fetch(addr); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		ts.Fatalf("%d of %d connections failed; first: %v", failed.Load(), n, firstErr.Load())
	}
}

func fetch(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 20*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return fmt.Errorf("no data")
	}
	return nil
}

// fds PID VAR: set $VAR to the number of open descriptors of PID.
// With a third argument SAME, instead check that the count is at most
// $SAME (nothing leaked), waiting up to 10 s: descriptors of children
// that just ended close when ginetd has seen them exit.
func cmdFDs(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 2, 3, "fds PID VAR [SAME]")
	count := func() int {
		ents, err := os.ReadDir("/proc/" + args[0] + "/fd")
		ts.Check(err)
		return len(ents)
	}
	if len(args) > 2 {
		want, err := strconv.Atoi(ts.Getenv(args[2]))
		ts.Check(err)
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := count()
			if n <= want {
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("process %s has %d fds, want at most %d", args[0], n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ts.Setenv(args[1], strconv.Itoa(count()))
}

// zombies PID: fail if PID still has zombie children after 10 s (a child
// that has just exited is one until ginetd reaps it).
func cmdZombies(ts *testscript.TestScript, neg bool, args []string) {
	pid := args[0]
	zombies := func() int {
		z := 0
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err != nil {
				continue
			}
			s := string(b)
			i := strings.LastIndexByte(s, ')')
			if i < 0 {
				continue
			}
			f := strings.Fields(s[i+1:])
			if len(f) > 2 && f[1] == pid && f[0] == "Z" {
				z++
			}
		}
		return z
	}
	if neg {
		ts.Fatalf("zombies: no negation")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		z := zombies()
		if z == 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("process %s has %d zombie children", pid, z)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tcpget ADDR: a client for background use (exec tcpget ADDR &name&):
// read to EOF and print what came, then "elapsed Ns".
func tcpget() {
	start := time.Now()
	c, err := net.DialTimeout("tcp", os.Args[1], 10*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	b, _ := io.ReadAll(c)
	os.Stdout.Write(b)
	fmt.Printf("elapsed %.1fs\n", time.Since(start).Seconds())
}

// mkstale PATH: leave a unix socket file at PATH that nothing listens on,
// as a killed daemon would.
func mkstale() {
	l, err := net.Listen("unix", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
}

// procinfo PID: print what daemon_init is about, one fact per line:
// leader=(pid == sid), pgrp_is_pid, tty_nr, cwd, and fd 0-2 targets.
func cmdProcInfo(ts *testscript.TestScript, neg bool, args []string) {
	pid := args[0]
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	ts.Check(err)
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// f[0]=state f[1]=ppid f[2]=pgrp f[3]=session f[4]=tty_nr
	fmt.Fprintf(ts.Stdout(), "session_leader=%v\n", f[3] == pid)
	fmt.Fprintf(ts.Stdout(), "group_leader=%v\n", f[2] == pid)
	fmt.Fprintf(ts.Stdout(), "tty_nr=%s\n", f[4])
	cwd, _ := os.Readlink("/proc/" + pid + "/cwd")
	fmt.Fprintf(ts.Stdout(), "cwd=%s\n", cwd)
	for i := 0; i < 3; i++ {
		t, _ := os.Readlink(fmt.Sprintf("/proc/%s/fd/%d", pid, i))
		fmt.Fprintf(ts.Stdout(), "fd%d=%s\n", i, t)
	}
}

// alive PID: fail unless PID is a running process (with !: unless it has gone).
// Waits up to 10 s for the expected state.
func cmdAlive(ts *testscript.TestScript, neg bool, args []string) {
	pid, err := strconv.Atoi(ts.Getenv(strings.TrimPrefix(args[0], "$")))
	if err != nil {
		pid, err = strconv.Atoi(args[0])
		ts.Check(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		up := err == nil && !strings.Contains(string(b), ") Z ")
		if up != neg {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("process %d alive=%v", pid, up)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// unixgram [-creds] PATH FILE: listen on a unix datagram socket at PATH
// until the script ends, appending each datagram and a newline to FILE (a
// fake syslog daemon or NOTIFY_SOCKET). With -creds each datagram is
// preceded by "pid=SENDER " (SCM_CREDENTIALS), as systemd tells senders
// apart.
func cmdUnixgram(ts *testscript.TestScript, neg bool, args []string) {
	creds := len(args) > 0 && args[0] == "-creds"
	if creds {
		args = args[1:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: unixgram [-creds] PATH FILE")
	}
	if creds {
		cmdUnixgramCreds(ts, args[0], ts.MkAbs(args[1]))
		return
	}
	c, err := net.ListenPacket("unixgram", args[0])
	ts.Check(err)
	out, err := os.OpenFile(ts.MkAbs(args[1]), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	ts.Check(err)
	ts.Defer(func() { c.Close(); out.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			out.Write(append(buf[:n:n], '\n'))
		}
	}()
}

// unixsend PATH MESSAGE: send MESSAGE as one datagram to the unix
// datagram socket PATH, waiting (20 s at most) for it to be bound and
// for room in its queue. A reader that shows MESSAGE has read every
// datagram queued before it.
func cmdUnixSend(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! unixsend")
	}
	scripttest.Args(ts, args, 2, 2, "unixsend PATH MESSAGE")
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("unixgram", ts.MkAbs(args[0]))
		if err == nil {
			defer c.Close()
			c.SetWriteDeadline(deadline)
			_, err = io.WriteString(c, args[1])
			ts.Check(err)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("unixsend: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// proxyv2 [-src IP] ADDR CLIENTIP CLIENTPORT: connect, send a binary PROXY
// protocol v2 header for that client (TCP), and print the reply.
func cmdProxyV2(ts *testscript.TestScript, neg bool, args []string) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if len(args) > 1 && args[0] == "-src" {
		d.LocalAddr = srcAddr(ts, "proxyv2", args[1])
		args = args[2:]
	}
	scripttest.Args(ts, args, 3, 3, "proxyv2 [-src IP] ADDR CLIENTIP CLIENTPORT")
	client := net.ParseIP(args[1])
	if client == nil {
		ts.Fatalf("proxyv2: bad CLIENTIP %q", args[1])
	}
	port := scripttest.Int(ts, "proxyv2", "CLIENTPORT", args[2], 0, 65535)
	c, err := d.Dial("tcp", args[0])
	ts.Check(err)
	defer c.Close()
	local := c.RemoteAddr().(*net.TCPAddr)
	hdr := []byte("\r\n\r\n\x00\r\nQUIT\n\x21")
	var body []byte
	if ip4 := client.To4(); ip4 != nil {
		hdr = append(hdr, 0x11)
		body = append(append(body, ip4...), local.IP.To4()...)
	} else {
		hdr = append(hdr, 0x21)
		body = append(append(body, client.To16()...), local.IP.To16()...)
	}
	body = append(body, byte(port>>8), byte(port), byte(local.Port>>8), byte(local.Port))
	hdr = append(hdr, byte(len(body)>>8), byte(len(body)))
	_, err = c.Write(append(hdr, body...))
	ts.Check(err)
	c.(*net.TCPConn).CloseWrite()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(c)
	ts.Stdout().Write(b)
	if neg != (len(b) == 0) {
		ts.Fatalf("proxyv2: got %q", b)
	}
}

// hammerbg DURATION ADDR: for background use (exec hammerbg ... &name&):
// a closed-loop client with 8 workers for DURATION; prints
// "ok=N failed=M" and the first error.
func hammerbg() {
	scripttest.Args(scripttest.Exit, os.Args[1:], 2, 2, "hammerbg DURATION ADDR")
	d := scripttest.Duration(scripttest.Exit, "hammerbg", "DURATION", os.Args[1], time.Nanosecond)
	addr := os.Args[2]
	var ok, failed atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if err := fetch(addr); err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("ok=%d failed=%d first=%v\n", ok.Load(), failed.Load(), first.Load())
}

// mkchroot DIR: a minimal root for a chrooted child: this test binary as
// DIR/svc with the shared libraries ldd lists, and a file DIR/marker.
func cmdMkChroot(ts *testscript.TestScript, neg bool, args []string) {
	dir := ts.MkAbs(args[0])
	self, err := os.Executable()
	ts.Check(err)
	copyFile := func(src, dst string) {
		b, err := os.ReadFile(src)
		ts.Check(err)
		ts.Check(os.MkdirAll(filepath.Dir(dst), 0o755))
		ts.Check(os.WriteFile(dst, b, 0o755))
	}
	copyFile(self, filepath.Join(dir, "svc"))
	out, _ := exec.Command("ldd", self).Output()
	for _, l := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "/") {
				copyFile(f, filepath.Join(dir, f))
			}
		}
	}
	ts.Check(os.WriteFile(filepath.Join(dir, "marker"), nil, 0o644))
}

// jsonlog FILE: parse every line of a -log-format json log and print
// "msg key=value..." for the keys ginetd sets (time and level are checked
// to be present and left out).
func jsonlog() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			fmt.Fprintf(os.Stderr, "not JSON: %q: %v\n", line, err)
			os.Exit(1)
		}
		if m["time"] == nil || m["level"] == nil || m["msg"] == nil {
			fmt.Fprintf(os.Stderr, "missing time/level/msg: %q\n", line)
			os.Exit(1)
		}
		out := fmt.Sprint(m["msg"])
		for _, k := range []string{"svc", "addr", "services", "pid", "peer", "status", "dur"} {
			if v, ok := m[k]; ok {
				out += fmt.Sprintf(" %s=%v", k, v)
			}
		}
		fmt.Println(out)
	}
}

// echobig ADDR N: send N pseudo-random bytes to an echo service while
// reading its answer, and check every byte came back in order.
func cmdEchoBig(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	c, err := net.DialTimeout("tcp", args[0], 5*time.Second)
	ts.Check(err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*7 + i/251)
	}
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	ts.Check(err)
	if string(got) != string(data) {
		ts.Fatalf("echo: got %d bytes back, want %d identical", len(got), n)
	}
}

// udpmany N ADDR: N clients, each on its own socket, send one datagram
// to a wait-udp style service and must each get their own answer; prints
// how many distinct child pids answered.
func cmdUDPMany(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	raddr, err := net.ResolveUDPAddr("udp", args[1])
	ts.Check(err)
	pids := map[string]bool{}
	// Every client keeps its socket (and so its port) to the end: a new
	// client on the port of an earlier one would be that one's client
	// still, for the child whose socket is connected to it.
	var conns []*net.UDPConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := net.DialUDP("udp", nil, raddr)
		ts.Check(err)
		conns = append(conns, c)
		msg := fmt.Sprintf("client %d", i)
		c.Write([]byte(msg))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 512)
		k, err := c.Read(buf)
		if err != nil {
			ts.Fatalf("client %d: %v", i, err)
		}
		pid, rest, _ := strings.Cut(strings.TrimPrefix(string(buf[:k]), "wait-udp "), ": ")
		if rest != msg {
			ts.Fatalf("client %d got %q", i, buf[:k])
		}
		pids[pid] = true
	}
	fmt.Fprintf(ts.Stdout(), "children=%d\n", len(pids))
}

// killatend PIDFILE: when the script ends, however it ends, SIGKILL the
// process named in PIDFILE then (a daemon that an upgrade replaced while
// the script was not looking).
func cmdKillAtEnd(ts *testscript.TestScript, neg bool, args []string) {
	path := ts.MkAbs(args[0])
	ts.Defer(func() {
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}

// rstdial [-n N] ADDR HEXBYTES: N times (1), connect, send the bytes
// (hex), and reset the connection (SO_LINGER 0) without reading: a
// client that vanishes mid-header.
func cmdRstDial(ts *testscript.TestScript, neg bool, args []string) {
	n := 1
	if len(args) > 2 && args[0] == "-n" {
		n, args = scripttest.Count(ts, "rstdial", "-n", args[1], 1), args[2:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: rstdial [-n N] ADDR HEXBYTES")
	}
	b, err := hex.DecodeString(args[1])
	ts.Check(err)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", args[0], 5*time.Second)
		ts.Check(err)
		c.Write(b)
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}
}

// lateclient ADDR LOG REGEXP COUNT INPUT: a client that sends INPUT (\r, \n
// escapes) at once, and again once LOG matches REGEXP COUNT times (ginetd
// has answered it and closed or shut down its side), then half-closes and
// copies what it reads until EOF (5 s) to stdout. A reset fails: a server
// that closes with the request unread resets the connection, whether the
// first INPUT was still unread or the second finds it closed.
func cmdLateClient(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 5 {
		ts.Fatalf("usage: lateclient ADDR LOG REGEXP COUNT INPUT")
	}
	scripttest.Count(ts, "lateclient", "COUNT", args[3], 1)
	in := strings.NewReplacer(`\n`, "\n", `\r`, "\r").Replace(args[4])
	c, err := net.DialTimeout("tcp", args[0], 5*time.Second)
	ts.Check(err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	_, err = io.WriteString(c, in)
	ts.Check(err)
	cmdWaitLog(ts, false, []string{args[1], args[2], args[3]})
	_, err = io.WriteString(c, in)
	ts.Check(err)
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	ts.Stdout().Write(b)
	if err != nil {
		ts.Fatalf("read: %v (after %q)", err, b)
	}
}

// timensAvailable reports whether unshare(1) can make a time namespace
// here (the [timens] condition).
var timensAvailable = sync.OnceValue(func() bool {
	return exec.Command("unshare", "-T", "--monotonic", "1", "--fork", "true").Run() == nil
})

// timens: set $TIMENS_AHEAD to an offset of 10 years, and
// $TIMENS_MONO_BACK and $TIMENS_BOOT_BACK to the (negative) offsets that
// start CLOCK_MONOTONIC and CLOCK_BOOTTIME near 10 s in a new time
// namespace (unshare -T --monotonic, --boottime).
func cmdTimens(ts *testscript.TestScript, neg bool, args []string) {
	ts.Setenv("TIMENS_AHEAD", strconv.Itoa(10*365*24*3600))
	for _, c := range []struct {
		name string
		id   int32
	}{{"TIMENS_MONO_BACK", unix.CLOCK_MONOTONIC}, {"TIMENS_BOOT_BACK", unix.CLOCK_BOOTTIME}} {
		var t unix.Timespec
		ts.Check(unix.ClockGettime(c.id, &t))
		ts.Setenv(c.name, strconv.FormatInt(-max(t.Sec-10, 0), 10))
	}
}
