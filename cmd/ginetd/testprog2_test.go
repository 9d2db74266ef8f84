package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// Service programs and script commands for the xinetd and NetBSD scripts
// (xinetd_*.txtar, netbsd_*.txtar).

// svcProc reports the process attributes xinetd sets for a child: umask,
// nice value, resource limits, ids and groups, argv and environment.
func svcProc() {
	var b strings.Builder
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && (k == "Umask" || k == "Groups") {
			fmt.Fprintf(&b, "%s=%s\n", strings.ToLower(k), strings.TrimSpace(v))
		}
	}
	stat, _ := os.ReadFile("/proc/self/stat")
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		// Fields after the command: state is field 3, nice field 19.
		if f := strings.Fields(s[i+1:]); len(f) > 16 {
			fmt.Fprintf(&b, "nice=%s\n", f[16])
		}
	}
	limits, _ := os.ReadFile("/proc/self/limits")
	names := map[string]string{
		"Max cpu time": "cpu", "Max data size": "data", "Max stack size": "stack",
		"Max resident set": "rss", "Max open files": "files", "Max address space": "as",
	}
	for _, l := range strings.Split(string(limits), "\n") {
		for prefix, name := range names {
			if strings.HasPrefix(l, prefix+" ") {
				f := strings.Fields(strings.TrimPrefix(l, prefix))
				if len(f) >= 2 {
					fmt.Fprintf(&b, "rlimit_%s=%s %s\n", name, f[0], f[1])
				}
			}
		}
	}
	fmt.Fprintf(&b, "uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	fmt.Fprintf(&b, "argv=%s\n", strings.Join(os.Args, "|"))
	for _, kv := range os.Environ() {
		fmt.Fprintf(&b, "env %s\n", kv)
	}
	fmt.Fprintf(&b, "nenv=%d\n", len(os.Environ()))
	os.Stdout.WriteString(b.String())
}

// svcOnce is NetBSD's tests/usr.sbin/inetd test_server, by its arguments:
// "dgram wait" answers one datagram on fd 0 with its payload and exits;
// "stream wait" accepts one connection on fd 0, echoes one read, exits;
// "stream nowait" echoes one read of fd 0.
func svcOnce() {
	mode := strings.Join(os.Args[1:], " ")
	buf := make([]byte, 256)
	switch mode {
	case "dgram wait":
		c, err := net.FilePacketConn(os.NewFile(0, "sock"))
		if err != nil {
			os.Exit(1)
		}
		n, addr, err := c.ReadFrom(buf)
		if err != nil {
			os.Exit(1)
		}
		c.WriteTo(buf[:n], addr)
	case "stream wait":
		ln, err := net.FileListener(os.NewFile(0, "sock"))
		if err != nil {
			os.Exit(1)
		}
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		n, _ := c.Read(buf)
		c.Write(buf[:n])
		c.Close()
	case "stream nowait":
		n, _ := os.Stdin.Read(buf)
		os.Stdout.Write(buf[:n])
	default:
		os.Exit(2)
	}
}

// svcGate is the daemon of NetBSD's t_accept_max.sh: it reads a client
// number N, appends it to DIR/output, creates DIR/NA, waits until DIR/NB
// exists (10 s at most), and writes "done N".
func svcGate() {
	dir := os.Args[1]
	var line [16]byte
	n, _ := os.Stdin.Read(line[:])
	id := strings.TrimSpace(string(line[:n]))
	f, err := os.OpenFile(filepath.Join(dir, "output"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err == nil {
		f.WriteString(id + "\n")
		f.Close()
	}
	os.WriteFile(filepath.Join(dir, id+"A"), nil, 0o644)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(dir, id+"B")); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("done %s\n", id)
}

// groupuser: set $GUSER to a user with a supplementary group besides its
// primary one (root when there is none), $GUSER_GID to its primary gid
// and $GUSER_GROUPS to all its gids (as /proc's Groups: line shows them).
func cmdGroupUser(ts *testscript.TestScript, neg bool, args []string) {
	name, gid, groups := "root", "0", "0"
	b, _ := os.ReadFile("/etc/passwd")
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 4 {
			continue
		}
		u, err := user.Lookup(f[0])
		if err != nil {
			continue
		}
		gids, err := u.GroupIds()
		if err != nil || len(gids) < 2 {
			continue
		}
		nums := make([]int, 0, len(gids))
		for _, g := range gids {
			n, _ := strconv.Atoi(g)
			nums = append(nums, n)
		}
		sort.Ints(nums)
		strs := make([]string, len(nums))
		for i, n := range nums {
			strs[i] = strconv.Itoa(n)
		}
		name, gid, groups = u.Username, u.Gid, strings.Join(strs, " ")
		break
	}
	ts.Setenv("GUSER", name)
	ts.Setenv("GUSER_GID", gid)
	ts.Setenv("GUSER_GROUPS", groups)
}

// maxload ADDR: when the 1-minute load average is above 0.05, dial ADDR (a
// service with max_load = 0.01) and require that it is closed without the
// service answering (it may send banner_fail, printed). On an idle box
// there is nothing to check: it logs so and succeeds.
func cmdMaxLoad(ts *testscript.TestScript, neg bool, args []string) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		ts.Logf("no /proc/loadavg: max_load refusal not checked")
		return
	}
	load, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	if load <= 0.05 {
		ts.Logf("load %.2f: max_load refusal not checked", load)
		return
	}
	c, err := net.DialTimeout("tcp", args[0], 5*time.Second)
	ts.Check(err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	ts.Check(err)
	if strings.Contains(string(got), "PROTO=") {
		ts.Fatalf("load %.2f above max_load, yet the service answered: %q", load, got)
	}
	ts.Stdout().Write(got)
	fmt.Fprintf(ts.Stdout(), "refused at load %.2f\n", load)
}

// clockwindow VAR MIN...: set $VAR_in to an access_times window hh:mm-hh:mm
// that holds now and the next MIN minutes, and $VAR_out to one that
// excludes now and the next MIN minutes (local time).
func cmdClockWindow(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 2, 2, "clockwin VAR MIN")
	min := scripttest.Count(ts, "clockwin", "MIN", args[1], 0)
	now := time.Now()
	hm := func(t time.Time) string { return t.Format("15:04") }
	// A window from a minute ago to MIN+1 minutes ahead, never crossing
	// midnight in a way the parser cannot express.
	in := hm(now.Add(-time.Minute)) + "-" + hm(now.Add(time.Duration(min+1)*time.Minute))
	out := hm(now.Add(time.Duration(min+2)*time.Minute)) + "-" + hm(now.Add(time.Duration(min+3)*time.Minute))
	ts.Setenv(args[0]+"_in", in)
	ts.Setenv(args[0]+"_out", out)
}

var bgDials sync.Map // WORK+name → chan string

// bgdial [-src IP] NAME NETWORK ADDR [INPUT]: dial (from IP) in the background: send INPUT
// (\n escapes), half-close, and read to EOF (40 s). bgwait NAME... waits (60 s) for
// each in turn and prints what came, then "elapsed Ns".
func cmdBgDial(ts *testscript.TestScript, neg bool, args []string) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if len(args) > 1 && args[0] == "-src" {
		d.LocalAddr = srcAddr(ts, "bgdial", args[1])
		args = args[2:]
	}
	if len(args) < 3 {
		ts.Fatalf("usage: bgdial [-src IP] NAME NETWORK ADDR [INPUT]")
	}
	ch := make(chan string, 1)
	bgDials.Store(ts.Getenv("WORK")+args[0], ch)
	network, addr := args[1], args[2]
	in := strings.ReplaceAll(strings.Join(args[3:], " "), `\n`, "\n")
	go func() {
		start := time.Now()
		var out strings.Builder
		c, err := d.Dial(network, addr)
		if err != nil {
			fmt.Fprintf(&out, "error %v\n", err)
		} else {
			c.SetDeadline(time.Now().Add(40 * time.Second))
			io.WriteString(c, in)
			if cw, ok := c.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			b, err := io.ReadAll(c)
			out.Write(b)
			if err != nil {
				fmt.Fprintf(&out, "error %v\n", err)
			}
			c.Close()
		}
		fmt.Fprintf(&out, "elapsed %.1fs\n", time.Since(start).Seconds())
		ch <- out.String()
	}()
}

func cmdBgWait(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: bgwait NAME...")
	}
	for _, name := range args {
		v, ok := bgDials.LoadAndDelete(ts.Getenv("WORK") + name)
		if !ok {
			ts.Fatalf("bgwait: no bgdial %s", name)
		}
		select {
		case s := <-v.(chan string):
			ts.Stdout().Write([]byte(s))
		case <-time.After(60 * time.Second):
			ts.Fatalf("bgwait %s: timed out", name)
		}
	}
}
