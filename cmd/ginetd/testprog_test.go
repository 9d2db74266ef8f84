package main

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// svcEnv reports what a child received, on its stdout (the client's
// socket): open fds, ids, session, signal state, argv and environment.
func svcEnv() {
	var b strings.Builder
	// List the fds with raw system calls: os.ReadDir would start this
	// program's own netpoller (an epoll and an eventfd) on the way.
	dfd, _ := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	buf := make([]byte, 4096)
	n, err := unix.Getdents(dfd, buf)
	if err != nil || n < 0 {
		n = 0 // no /proc (in a chroot)
	}
	var names []string
	_, _, names = unix.ParseDirent(buf[:n], -1, names)
	var fds []string
	for _, name := range names {
		if name == strconv.Itoa(dfd) {
			continue
		}
		t, _ := os.Readlink("/proc/self/fd/" + name)
		// Only a descriptor without close-on-exec can have come through
		// exec; the ones this Go program opened itself (runtime poller,
		// cgroup files) all have it.
		if cloexec(name) {
			continue
		}
		fds = append(fds, name)
		if k, _ := strconv.Atoi(name); k > 2 {
			fmt.Fprintf(&b, "extra fd %s -> %s\n", name, t)
		}
	}
	unix.Close(dfd)
	sort.Strings(fds)
	fmt.Fprintf(&b, "fds=%s\n", strings.Join(fds, ","))
	groups, _ := syscall.Getgroups()
	gs := make([]string, len(groups))
	for i, g := range groups {
		gs[i] = strconv.Itoa(g)
	}
	fmt.Fprintf(&b, "uid=%d gid=%d groups=%s\n", os.Getuid(), os.Getgid(), strings.Join(gs, ","))
	sid, _ := unix.Getsid(0)
	fmt.Fprintf(&b, "sid_is_pid=%v\n", sid == os.Getpid())
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "SigBlk:") || strings.HasPrefix(l, "SigIgn:") {
			k, v, _ := strings.Cut(l, ":")
			fmt.Fprintf(&b, "%s=%s\n", k, strings.TrimSpace(v))
		}
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "NoNewPrivs:") {
			fmt.Fprintf(&b, "NoNewPrivs=%s\n", strings.TrimSpace(strings.TrimPrefix(l, "NoNewPrivs:")))
		}
	}
	if root, err := os.ReadDir("/"); err == nil {
		var names []string
		for _, e := range root {
			names = append(names, e.Name())
		}
		fmt.Fprintf(&b, "root=%s\n", strings.Join(names, ","))
	}
	fmt.Fprintf(&b, "argv=%s\n", strings.Join(os.Args, " "))
	fmt.Fprintf(&b, "pid=%d\n", os.Getpid())
	env := os.Environ()
	sort.Strings(env)
	for _, kv := range env {
		fmt.Fprintf(&b, "env %s\n", kv)
	}
	os.Stdout.WriteString(b.String())
}

// idleArg is the idle time a wait service program is given as its
// argument (default 1 s).
func idleArg() time.Duration {
	if len(os.Args) > 1 {
		if d, err := time.ParseDuration(os.Args[1]); err == nil && d > 0 {
			return d
		}
	}
	return time.Second
}

// svcWaitUDP is a wait-mode datagram service: it answers every datagram
// on fd 0 with "wait-udp PID: PAYLOAD" and exits after its argument (1 s)
// without one.
func svcWaitUDP() {
	idle := idleArg()
	f := os.NewFile(0, "sock")
	c, err := net.FilePacketConn(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buf := make([]byte, 2048)
	for {
		c.SetReadDeadline(time.Now().Add(idle))
		n, addr, err := c.ReadFrom(buf)
		if err != nil {
			os.Exit(0)
		}
		c.WriteTo([]byte(fmt.Sprintf("wait-udp %d: %s", os.Getpid(), buf[:n])), addr)
	}
}

// svcWaitTCP is a wait-mode stream service: it accepts on fd 0, writes
// "wait-tcp PID" to each client, and exits after its argument (1 s)
// without a client.
func svcWaitTCP() {
	idle := idleArg()
	f := os.NewFile(0, "sock")
	ln, err := net.FileListener(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(idle))
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		fmt.Fprintf(c, "wait-tcp %d\n", os.Getpid())
		c.Close()
	}
}

// svcWaitNB [IDLE] (wait stream) is a Go server on the service socket:
// it answers each connection with "wait-nb PID nonblock=N", N being
// whether fd 0 was non-blocking when it started (a C server expects a
// blocking one), and exits after IDLE (1 s) without a client. Its Go
// runtime sets O_NONBLOCK on the socket's file description, which ginetd
// shares. It lives 30 s at most, whatever happens to its accept.
func svcWaitNB() {
	time.AfterFunc(30*time.Second, func() { os.Exit(2) })
	idle := time.Second
	if len(os.Args) > 1 {
		idle = scripttest.Duration(scripttest.Exit, "svc-wait-nb", "IDLE", os.Args[1], time.Nanosecond)
	}
	fl, err := unix.FcntlInt(0, unix.F_GETFL, 0)
	if err != nil {
		os.Exit(1)
	}
	nb := 0
	if fl&unix.O_NONBLOCK != 0 {
		nb = 1
	}
	ln, err := net.FileListener(os.NewFile(0, "sock"))
	if err != nil {
		os.Exit(1)
	}
	for {
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(idle))
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		fmt.Fprintf(c, "wait-nb %d nonblock=%d\n", os.Getpid(), nb)
		c.Close()
	}
}

// svcSleep writes "sleeping PID", then sleeps for its argument (default 2 s).
func svcSleep() {
	d := 2 * time.Second
	if len(os.Args) > 1 {
		d = scripttest.Duration(scripttest.Exit, "svc-sleep", "DURATION", os.Args[1], 0)
	}
	fmt.Printf("sleeping %d\n", os.Getpid())
	time.Sleep(d)
}

// svcEcho copies stdin to stdout (a program-based echo).
func svcEcho() {
	buf := make([]byte, 4096)
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			os.Stdout.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// cloexec reports whether fd (a number as text) has FD_CLOEXEC, from
// /proc/self/fdinfo's octal "flags:" line (O_CLOEXEC is 02000000).
func cloexec(fd string) bool {
	b, err := os.ReadFile("/proc/self/fdinfo/" + fd)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "flags:"); ok {
			fl, _ := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return fl&unix.O_CLOEXEC != 0
		}
	}
	return false
}

// svcFork starts its argument (default 10) children that sleep 2 s, and
// reports how many the kernel allowed: "started N of M".
func svcFork() {
	n := 10
	if len(os.Args) > 1 {
		n = scripttest.Count(scripttest.Exit, "svc-fork", "N", os.Args[1], 1)
	}
	started := 0
	for i := 0; i < n; i++ {
		_, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "2"}, &syscall.ProcAttr{})
		if err == nil {
			started++
		}
	}
	fmt.Printf("started %d of %d\n", started, n)
}
