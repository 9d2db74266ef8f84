package main

import (
	"log/syslog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// waitMax bounds every wait of a script command.
const waitMax = 10 * time.Second

// expand FILE...: replace $VAR and ${VAR} in each file with the script's
// environment (configs need absolute paths).
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	for _, f := range args {
		p := ts.MkAbs(f)
		b, err := os.ReadFile(p)
		ts.Check(err)
		ts.Check(os.WriteFile(p, []byte(os.Expand(string(b), ts.Getenv)), 0o644))
	}
}

// envfile VAR FILE: set VAR to the first line of FILE.
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: envfile VAR FILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	line, _, _ := strings.Cut(string(b), "\n")
	ts.Setenv(args[0], line)
}

// send [-q] [-size N [-count C]] DEST [PAYLOAD...]: send each payload as
// one datagram to DEST, a unix socket path or udp:HOST:PORT. With -q
// payloads are Go quoted strings ("\x00", "\n"). With -size, one more
// datagram of N bytes ("<13>big: xxx...") is sent; with -count, C of them,
// numbered ("<13>big: 1 xxx...", "<13>big: 2 xxx..."). A datagram that
// waits 20 s for room fails the command.
func cmdSend(ts *testscript.TestScript, neg bool, args []string) {
	quoted, size, count := false, 0, 0
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-q":
			quoted = true
			args = args[1:]
		case "-size": // room for "<13>big: N " and one x
			scripttest.Args(ts, args, 2, -1, "send -size N ...")
			size, args = scripttest.Count(ts, "send", "-size", args[1], 32), args[2:]
		case "-count":
			scripttest.Args(ts, args, 2, -1, "send -count C ...")
			count, args = scripttest.Count(ts, "send", "-count", args[1], 1), args[2:]
		default:
			ts.Fatalf("send: unknown flag %s", args[0])
		}
	}
	if len(args) < 1 {
		ts.Fatalf("usage: send [-q] [-size N] DEST [PAYLOAD...]")
	}
	network, addr := "unixgram", args[0]
	if a, ok := strings.CutPrefix(addr, "udp:"); ok {
		network, addr = "udp", a
	}
	c, err := net.Dial(network, addr)
	ts.Check(err)
	defer c.Close()
	payloads := args[1:]
	switch {
	case size > 0 && count > 0:
		for i := 1; i <= count; i++ {
			p := "<13>big: " + strconv.Itoa(i) + " "
			payloads = append(payloads, p+strings.Repeat("x", size-len(p)))
		}
	case size > 0:
		payloads = append(payloads, "<13>big: "+strings.Repeat("x", size-9))
	case count > 0:
		ts.Fatalf("send: -count needs -size")
	}
	for _, p := range payloads {
		if quoted && !strings.HasPrefix(p, "<13>big: ") {
			p, err = strconv.Unquote(`"` + p + `"`)
			ts.Check(err)
		}
		// A gsyslogd that stopped reading must fail the script, not
		// hang it.
		c.SetWriteDeadline(time.Now().Add(20 * time.Second))
		_, err := c.Write([]byte(p))
		ts.Check(err)
	}
}

// gosyslog SOCKET FACILITY.SEVERITY TAG TEXT: log with Go's log/syslog.
func cmdGoSyslog(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: gosyslog SOCKET PRI TAG TEXT")
	}
	pri := scripttest.Int(ts, "gosyslog", "PRI", args[1], 0, 191)
	w, err := syslog.Dial("unixgram", args[0], syslog.Priority(pri), args[2])
	ts.Check(err)
	defer w.Close()
	_, err = w.Write([]byte(args[3]))
	ts.Check(err)
}

// waitfile FILE REGEXP [N]: wait until at least N (1) lines of FILE match.
// With !, wait until the file is stable for a moment and check none does.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitfile FILE REGEXP [N]")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	want := 1
	if len(args) == 3 {
		want = scripttest.Count(ts, "waitfile", "N", args[2], 1)
	}
	path := ts.MkAbs(args[0])
	count := func() int {
		b, _ := os.ReadFile(path)
		n := 0
		for line := range strings.Lines(string(b)) {
			if re.MatchString(strings.TrimSuffix(line, "\n")) {
				n++
			}
		}
		return n
	}
	if neg {
		time.Sleep(300 * time.Millisecond)
		if n := count(); n > 0 {
			ts.Fatalf("%s: %d lines match %q", args[0], n, args[1])
		}
		return
	}
	deadline := time.Now().Add(waitMax)
	for {
		n := count()
		if n >= want {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(path)
			ts.Logf("%s:\n%s", args[0], b)
			ts.Fatalf("%s: %d of %d lines match %q after %v", args[0], n, want, args[1], waitMax)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countlines FILE REGEXP N: exactly N lines of FILE match, now.
func cmdCountLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: countlines FILE REGEXP N")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	want := scripttest.Count(ts, "countlines", "N", args[2], 0)
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	n := 0
	for line := range strings.Lines(string(b)) {
		if re.MatchString(strings.TrimSuffix(line, "\n")) {
			n++
		}
	}
	if n != want {
		ts.Fatalf("%s: %d lines match %q, want %d", args[0], n, args[1], want)
	}
}

// waitgone PATH: wait until PATH does not exist.
func cmdWaitGone(ts *testscript.TestScript, neg bool, args []string) {
	deadline := time.Now().Add(waitMax)
	for _, a := range args {
		for {
			if _, err := os.Lstat(ts.MkAbs(a)); os.IsNotExist(err) {
				break
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s still exists after %v", a, waitMax)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// sig HUP|TERM|INT PIDFILE: signal the process whose pid is in PIDFILE.
func cmdSig(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sig HUP|TERM|INT PIDFILE")
	}
	sigs := map[string]syscall.Signal{"HUP": syscall.SIGHUP, "TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL}
	s, ok := sigs[args[0]]
	if !ok {
		ts.Fatalf("sig: unknown signal %s", args[0])
	}
	b, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	ts.Check(err)
	ts.Check(syscall.Kill(pid, s))
}

// stalesock PATH: leave a unix socket file nobody receives on at PATH.
func cmdStaleSock(ts *testscript.TestScript, neg bool, args []string) {
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: ts.MkAbs(args[0]), Net: "unixgram"})
	ts.Check(err)
	c.Close() // a unixgram conn does not remove its path
}

// kmsgwrite FILE REGEXP TEXT: write TEXT to /dev/kmsg until a line of FILE
// matches REGEXP. It writes again every second because the kernel
// rate-limits writes to /dev/kmsg for every writer of the system together
// (printk_devkmsg=ratelimit), so one write may be dropped.
func cmdKmsgWrite(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: kmsgwrite FILE REGEXP TEXT")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	path := ts.MkAbs(args[0])
	for range int(waitMax / time.Second) {
		f, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
		ts.Check(err)
		f.Write([]byte(args[2]))
		f.Close()
		for range 20 {
			b, _ := os.ReadFile(path)
			for line := range strings.Lines(string(b)) {
				if re.MatchString(strings.TrimSuffix(line, "\n")) {
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	ts.Fatalf("%s: no line matches %q after %v", args[0], args[1], waitMax)
}

// longpath VAR DIR LEN: set VAR to a path in DIR that is LEN bytes long.
func cmdLongPath(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: longpath VAR DIR LEN")
	}
	p := args[1] + "/"
	n := scripttest.Count(ts, "longpath", "LEN", args[2], len(p)+1)
	p += strings.Repeat("x", n-len(p))
	ts.Setenv(args[0], p)
}
