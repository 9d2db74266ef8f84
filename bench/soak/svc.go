package main

// The programs ginetd starts for the soak's exec services. They are this
// binary, chosen by argv[0] (the configs set it with NAMEINARGS), so that
// the soak needs nothing but ginetd and itself.

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var services = map[string]func(){
	"soak-probe":    svcProbe,
	"soak-wait-tcp": svcWaitTCP,
	"soak-wait-udp": svcWaitUDP,
	"soak-dgram":    svcDgram,
	"soak-slow":     svcSlow,
}

// foreignFDs lists the descriptors of this process beyond 0, 1 and 2 (the
// directory being read aside), each as "N=target".
func foreignFDs() []string {
	dfd, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return []string{"error=" + err.Error()}
	}
	defer syscall.Close(dfd)
	var out []string
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(dfd, buf)
		if err != nil || n <= 0 {
			break
		}
		var names []string
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
		for _, name := range names {
			fd, err := strconv.Atoi(name)
			if err != nil || fd <= 2 || fd == dfd {
				continue
			}
			target, _ := os.Readlink("/proc/self/fd/" + name)
			if goRuntimeFile(target) {
				continue
			}
			out = append(out, name+"="+target)
		}
	}
	sort.Strings(out)
	return out
}

// goRuntimeFile says whether target is a file the Go runtime of this very
// program opened at start-up: since Go 1.25 it reads its cgroup's CPU
// limit (for GOMAXPROCS) and keeps those files open. They are not
// ginetd's.
func goRuntimeFile(target string) bool {
	if !strings.HasPrefix(target, "/sys/fs/cgroup/") {
		return false
	}
	switch filepath.Base(target) {
	case "cpu.max", "cpu.cfs_quota_us", "cpu.cfs_period_us":
		return true
	}
	return false
}

// probeLine is what every probe answers: its foreign descriptors and what
// ginetd told it about the client.
func probeLine(in int) string {
	f := foreignFDs()
	return fmt.Sprintf("probe in=%d foreign=%d fds=%s remote=%s subject=%q\n",
		in, len(f), strings.Join(f, ","), os.Getenv("REMOTE_HOST"), os.Getenv("TLS_CLIENT_SUBJECT"))
}

// svcProbe (exec nowait stream): reads its input to EOF (at most 64 KiB),
// then answers with probeLine.
func svcProbe() {
	n, _ := io.Copy(io.Discard, io.LimitReader(os.Stdin, 64<<10))
	os.Stdout.WriteString(probeLine(int(n)))
}

// svcSlow (exec nowait stream, behind a limit): answers "slow\n" and
// echoes its input after ARG (a duration), so that children overlap.
func svcSlow() {
	d := 20 * time.Millisecond
	if len(os.Args) > 1 {
		if v, err := time.ParseDuration(os.Args[1]); err == nil {
			d = v
		}
	}
	b, _ := io.ReadAll(io.LimitReader(os.Stdin, 64<<10))
	time.Sleep(d)
	os.Stdout.Write(append([]byte("slow\n"), b...))
}

// svcWaitTCP (wait stream): accepts on descriptor 0 and echoes each
// connection, with the probe line first; exits after 2 s without a client.
func svcWaitTCP() {
	fds := probeLine(0) // before the runtime's own descriptors
	ln, err := net.FileListener(os.NewFile(0, "listener"))
	if err != nil {
		os.Exit(1)
	}
	tl := ln.(*net.TCPListener)
	for {
		tl.SetDeadline(time.Now().Add(2 * time.Second))
		c, err := tl.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, fds)
			io.Copy(c, io.LimitReader(c, 64<<10))
		}()
	}
}

// svcWaitUDP (wait dgram): answers each datagram on descriptor 0 with
// "wait " + its payload; exits after 2 s without one.
func svcWaitUDP() {
	f := foreignFDs()
	fds := fmt.Sprintf("%d(%s)", len(f), strings.Join(f, ","))
	pc, err := net.FilePacketConn(os.NewFile(0, "dgram"))
	if err != nil {
		os.Exit(1)
	}
	buf := make([]byte, 2048)
	for {
		pc.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		pc.WriteTo([]byte(fmt.Sprintf("wait foreign=%s %s", fds, buf[:n])), addr)
	}
}

// svcDgram (dgram nowait): descriptor 0 is a socket connected to the
// sender with its datagram queued: answer it with the probe's count.
func svcDgram() {
	buf := make([]byte, 2048)
	n, err := syscall.Read(0, buf)
	if err != nil || n < 0 {
		os.Exit(1)
	}
	f := foreignFDs()
	syscall.Write(1, []byte(fmt.Sprintf("dgram foreign=%d(%s) %s", len(f), strings.Join(f, ","), buf[:n])))
}

// runService runs the service program argv[0] names, if any.
func runService() bool {
	f, ok := services[filepath.Base(os.Args[0])]
	if ok {
		f()
	}
	return ok
}
