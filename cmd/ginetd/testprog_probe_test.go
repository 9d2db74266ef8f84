package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/spawn/startlimit"
)

// svcProbe writes the state a child was started in to its stdout (the
// client), one "key value" line each, for scripts that compare every
// spawn path (hygiene.txtar):
//
//	fd N TARGET        each descriptor that came through exec (not close-on-exec)
//	fds 0,1,2          their numbers
//	nonblock -         those of 0-2 with O_NONBLOCK ("-": none)
//	SigBlk/SigIgn/SigCgt HEX   from /proc/self/status
//	nofile SOFT HARD   RLIMIT_NOFILE as the program was started with
//	rlimit NAME SOFT HARD      the other limits, from /proc/self/limits
//	umask 0022
//	uid U gid G groups G1,G2
//	sid_is_pid true / pgid_is_pid true
//	cwd DIR
//	argv ARGS
//	env K=V            sorted
//
// Being a Go program, the probe sees its own runtime's doing in two places:
// the runtime installs handlers for most signals before any Go code runs
// (an inherited SIG_IGN survives only for SIGHUP, SIGINT, SIGTSTP, SIGTTIN
// and SIGTTOU; SigCgt is the runtime's), and it raises the soft
// RLIMIT_NOFILE. The nofile line is the limit as exec gave it, captured
// before the runtime raised it (internal/spawn/startstate). A script that
// must see every ignored signal runs a C program (grep on
// /proc/self/status) as the service instead.
//
// As a wait service's program (argv[0] svc-probe-wait, svc-probe-wait-udp)
// it takes the report on the service socket it was given, then accepts
// one connection and writes it there, or answers one datagram with it.
func svcProbe() {
	r := probeReport()
	switch arg0 := filepath.Base(os.Args[0]); {
	case strings.HasPrefix(arg0, "svc-probe-wait-udp"):
		buf := make([]byte, 2048)
		_, from, err := unix.Recvfrom(0, buf, 0)
		if err == nil {
			unix.Sendto(0, []byte(r), 0, from)
		}
	case strings.HasPrefix(arg0, "svc-probe-wait"):
		fd, _, err := unix.Accept4(0, unix.SOCK_CLOEXEC)
		if err == nil {
			unix.Write(fd, []byte(r))
			unix.Close(fd)
		}
	default:
		os.Stdout.WriteString(r)
	}
}

// probeReport is svcProbe's report.
func probeReport() string {
	var b strings.Builder
	// List the fds with raw system calls: os.ReadDir would start this
	// program's own netpoller (an epoll and an eventfd) on the way.
	dfd, _ := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	buf := make([]byte, 8192)
	n, err := unix.Getdents(dfd, buf)
	if err != nil || n < 0 {
		n = 0 // no /proc (in a chroot)
	}
	var names []string
	_, _, names = unix.ParseDirent(buf[:n], -1, names)
	var fds []int
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd == dfd || cloexec(name) {
			// Only a descriptor without close-on-exec can have come
			// through exec; the ones this program opened have it.
			continue
		}
		fds = append(fds, fd)
	}
	unix.Close(dfd)
	sort.Ints(fds)
	list := make([]string, len(fds))
	for i, fd := range fds {
		list[i] = strconv.Itoa(fd)
		t, _ := os.Readlink("/proc/self/fd/" + list[i])
		if strings.HasPrefix(t, "socket:") {
			t = "socket" // the inode differs per connection
		}
		fmt.Fprintf(&b, "fd %d %s\n", fd, t)
	}
	fmt.Fprintf(&b, "fds %s\n", strings.Join(list, ","))
	var nb []string
	for fd := range 3 {
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil && fl&unix.O_NONBLOCK != 0 {
			nb = append(nb, strconv.Itoa(fd))
		}
	}
	if len(nb) == 0 {
		nb = []string{"-"}
	}
	fmt.Fprintf(&b, "nonblock %s\n", strings.Join(nb, ","))

	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch k {
		case "SigBlk", "SigIgn", "SigCgt", "Umask":
			fmt.Fprintf(&b, "%s %s\n", k, strings.TrimSpace(v))
		}
	}
	if soft, hard, ok := startNofile(); ok {
		fmt.Fprintf(&b, "nofile %s %s\n", soft, hard)
	}
	limits, _ := os.ReadFile("/proc/self/limits")
	for _, l := range strings.Split(string(limits), "\n") {
		// "Max open files            1024                 4096                 files"
		name, rest, ok := strings.Cut(l, "  ")
		f := strings.Fields(rest)
		if !ok || !strings.HasPrefix(name, "Max ") || len(f) < 2 {
			continue
		}
		fmt.Fprintf(&b, "rlimit %s %s %s\n", strings.ReplaceAll(strings.TrimPrefix(name, "Max "), " ", "_"), f[0], f[1])
	}

	groups, _ := syscall.Getgroups()
	sort.Ints(groups)
	gs := make([]string, len(groups))
	for i, g := range groups {
		gs[i] = strconv.Itoa(g)
	}
	fmt.Fprintf(&b, "uid %d gid %d euid %d egid %d groups %s\n", os.Getuid(), os.Getgid(), os.Geteuid(), os.Getegid(), strings.Join(gs, ","))
	pid := os.Getpid()
	sid, _ := unix.Getsid(0)
	fmt.Fprintf(&b, "sid_is_pid %v\npgid_is_pid %v\n", sid == pid, unix.Getpgrp() == pid)
	wd, _ := os.Getwd()
	fmt.Fprintf(&b, "cwd %s\n", wd)
	fmt.Fprintf(&b, "argv %s\n", strings.Join(os.Args, " "))
	env := os.Environ()
	sort.Strings(env)
	for _, kv := range env {
		fmt.Fprintf(&b, "env %s\n", kv)
	}
	return b.String()
}

// startNofile is RLIMIT_NOFILE as exec gave it to this program.
func startNofile() (soft, hard string, ok bool) {
	s, h, ok := startlimit.Nofile()
	return strconv.FormatUint(s, 10), strconv.FormatUint(h, 10), ok
}

// dirty SOFT PROG ARGS...: exec PROG as a careless parent starts a
// daemon: SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP and SIGPIPE ignored, SIGALRM
// blocked, and a soft RLIMIT_NOFILE of SOFT (below the hard one, so the
// Go runtime raises ginetd's own).
func dirty() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: dirty SOFT PROG ARGS...")
		os.Exit(2)
	}
	soft, err := strconv.ParseUint(os.Args[1], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	signal.Ignore(syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGHUP, syscall.SIGPIPE)
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	lim.Cur = soft
	// syscall.Setrlimit, not unix.Prlimit: Exec must not put back the
	// limit this program was started with.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtime.LockOSThread()
	var set unix.Sigset_t
	set.Val[0] = 1 << (uint(syscall.SIGALRM) - 1)
	unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil)
	prog, err := exec.LookPath(os.Args[2])
	if err == nil {
		err = syscall.Exec(prog, os.Args[2:], os.Environ())
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// probeclean SOFT: the last command's stdout is svc-probe's report of a
// clean start: the client's socket on fds 0-2, blocking, and nothing else, no
// signal blocked or ignored, its own session and process group, a soft
// RLIMIT_NOFILE of SOFT, and none of ginetd's own variables.
func cmdProbeClean(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: probeclean SOFT")
	}
	out := ts.ReadFile("stdout")
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		lines[l] = true
		if strings.HasPrefix(l, "env LISTEN_") || strings.HasPrefix(l, "env GINETD_") || strings.HasPrefix(l, "env NOTIFY_SOCKET=") {
			ts.Fatalf("probeclean: ginetd's own variable reached the child: %s", l)
		}
	}
	for _, want := range []string{"fds 0,1,2", "fd 0 socket", "fd 1 socket", "fd 2 socket", "nonblock -",
		"SigBlk 0000000000000000", "SigIgn 0000000000000000", "sid_is_pid true", "pgid_is_pid true"} {
		if !lines[want] {
			ts.Fatalf("probeclean: no %q in:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^nofile ` + regexp.QuoteMeta(args[0]) + ` [0-9]+$`).MatchString(out) {
		ts.Fatalf("probeclean: want soft RLIMIT_NOFILE %s in:\n%s", args[0], out)
	}
}
