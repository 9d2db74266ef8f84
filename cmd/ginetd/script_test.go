package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"

	"github.com/ginetd/ginetd/internal/cgroup"
	"github.com/ginetd/ginetd/internal/spawn"
)

// TestMain lets the test binary be ginetd itself and the small service
// programs the scripts configure (see testprog_test.go).
func TestMain(m *testing.M) {
	// Service programs run straight away, without testscript's set-up:
	// they may run as another user in another environment.
	// argv[0] may carry a suffix ("svc-env-nobody") to tell services apart.
	for name, f := range services {
		if strings.HasPrefix(filepath.Base(os.Args[0]), name) {
			f()
			os.Exit(0)
		}
	}
	testscript.Main(m, map[string]func(){
		"ginetd":             func() { os.Exit(run(os.Args[1:])) },
		spawn.TrampolineArg0: func() { spawn.Trampoline(os.Args[1:]) },
		"tcpget":             tcpget,
		"mkstale":            mkstale,
		"hammerbg":           hammerbg,
		"udpbg":              udpbg,
		"jsonlog":            jsonlog,
		"dirty":              dirty,
		"noclone3":           noclone3,
		"pidpoll":            pidpoll,
		"ctlpoll":            ctlpoll,
	})
}

var services = map[string]func(){
	"svc-env":       svcEnv,
	"svc-wait-udp":  svcWaitUDP,
	"svc-wait-tcp":  svcWaitTCP,
	"svc-sleep":     svcSleep,
	"svc-echo":      svcEcho,
	"svc-fork":      svcFork,
	"svc-sdact":     svcSdact,
	"svc-proc":      svcProc,
	"svc-once":      svcOnce,
	"svc-gate":      svcGate,
	"svc-probe":     svcProbe,
	"svc-udp-all":   svcUDPAll,
	"svc-wait-hold": svcWaitHold,
	"svc-wait-nb":   svcWaitNB,
}

// scriptCmds are the commands of the scripts in testdata/script.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"expand":     cmdExpand,
	"listening":  cmdListening,
	"waitlog":    cmdWaitLog,
	"dial":       cmdDial,
	"udp":        cmdUDP,
	"signal":     cmdSignal,
	"sleep":      cmdSleep,
	"waitlisten": cmdWaitListen,
	"freeport":   cmdFreePort,
	"hold":       cmdHold,
	"release":    cmdRelease,
	"hammer":     cmdHammer,
	"fds":        cmdFDs,
	"zombies":    cmdZombies,
	"procinfo":   cmdProcInfo,
	"alive":      cmdAlive,
	"unixgram":   cmdUnixgram,
	"unixsend":   cmdUnixSend,
	"groupuser":  cmdGroupUser,
	"maxload":    cmdMaxLoad,
	"clockwin":   cmdClockWindow,
	"bgdial":     cmdBgDial,
	"bgwait":     cmdBgWait,
	"proxyv2":    cmdProxyV2,
	"gencert":    cmdGenCert,
	"scrape":     cmdScrape,
	"mkchroot":   cmdMkChroot,
	"echobig":    cmdEchoBig,
	"udpmany":    cmdUDPMany,
	"killatend":  cmdKillAtEnd,
	"tlsdial":    cmdTLSDial,
	"rfc868":     cmdRFC868,
	"rstdial":    cmdRstDial,
	"lateclient": cmdLateClient,
	"timens":     cmdTimens,
	"probeclean": cmdProbeClean,
	"buildpie":   cmdBuildPIE,
	"clients":    cmdClients,
	"fdload":     cmdFDLoad,
	"asuser":     cmdAsUser,
	"dgmix":      cmdDgMix,
	"dgreuse":    cmdDgReuse,
	"paced":      cmdPaced,
	"sess":       cmdSess,
	"unixstream": cmdUnixStream,
	"reloads":    cmdReloads,
	"niceplus":   cmdNicePlus,
}

func TestScripts(t *testing.T) {
	svc := publicCopy(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			// Absolute paths of the service programs, for configs. They
			// are all this test binary, dispatched on argv[0] (which the
			// configs set), copied where any user may execute it.
			for name := range services {
				e.Setenv(strings.ToUpper(strings.ReplaceAll(name, "-", "_")), svc)
			}
			// The nice value ginetd inherits from this test: under
			// "nice -n 5 go test" it is 5, and so is a child's that
			// sets none.
			e.Setenv("NICE", ownNice(e.T()))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "cgroup": // a service's pids_max can be applied here
				return cgroup.Applicable(cgroup.Limits{PidsMax: "16"}) == nil, nil
			case "timens": // unshare -T works here
				return timensAvailable(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: scriptCmds,
	})
}

// ownNice returns this process's nice value as /proc/PID/stat shows it
// (the field svc-proc reports).
func ownNice(t testscript.T) string {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) <= 16 {
		t.Fatal("short /proc/self/stat")
	}
	return f[16]
}

// niceplus VAR INC: set $VAR to $NICE + INC, kept within -20 to 19: the
// nice value of a child of ginetd whose service says nice = INC, as
// nice(2) computes it.
func cmdNicePlus(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 2, 2, "niceplus VAR INC")
	own, err := strconv.Atoi(ts.Getenv("NICE"))
	ts.Check(err)
	inc := scripttest.Int(ts, "niceplus", "INC", args[1], -40, 40)
	ts.Setenv(args[0], strconv.Itoa(min(max(own+inc, -20), 19)))
}

// publicCopy copies the test binary to a directory every user can enter,
// so that children running as nobody can execute it.
func publicCopy(t *testing.T) string {
	dir, err := os.MkdirTemp("", "ginetd-svc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "svc")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// expand FILE...: replace $VAR and ${VAR} in each file with the script's
// environment, so that configs can name programs and addresses.
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	for _, f := range args {
		p := ts.MkAbs(f)
		b, err := os.ReadFile(p)
		ts.Check(err)
		out := os.Expand(string(b), func(k string) string {
			if v := ts.Getenv(k); v != "" {
				return v
			}
			return "$" + k
		})
		ts.Check(os.WriteFile(p, []byte(out), 0o644))
	}
}

var (
	listenRE = regexp.MustCompile(`(?:msg=| )listen svc=(\S+) addr=(\S+)`)
	readyRE  = regexp.MustCompile(`(?:msg=| )ready services=\d+ pid=(\d+)`)
)

// listening LOG: wait (30 s) until LOG has ginetd's "ready" line, then set
// one variable per service to its bound address: daytime/tcp4 → $daytime_tcp4.
// Also sets $PID to ginetd's pid.
func cmdListening(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: listening LOG")
	}
	log := waitFor(ts, ts.MkAbs(args[0]), readyRE, 30*time.Second)
	for _, m := range listenRE.FindAllStringSubmatch(log, -1) {
		ts.Setenv(varName(m[1]), m[2])
		host, port, err := net.SplitHostPort(m[2])
		if err == nil {
			_ = host
			ts.Setenv(varName(m[1])+"_port", port)
		}
	}
	m := readyRE.FindAllStringSubmatch(log, -1)
	ts.Setenv("PID", m[len(m)-1][1])
	// A daemonized ginetd is no child of the script: make sure it ends.
	if pid, err := strconv.Atoi(m[len(m)-1][1]); err == nil {
		ts.Defer(func() { syscall.Kill(pid, syscall.SIGKILL) })
	}
}

func varName(label string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, label)
}

// waitlog [-t DURATION] LOG REGEXP [COUNT]: wait (default 20 s: a loaded
// machine can take seconds to start a child) until LOG matches REGEXP
// (COUNT times).
func cmdWaitLog(ts *testscript.TestScript, neg bool, args []string) {
	timeout := 20 * time.Second
	if len(args) > 1 && args[0] == "-t" {
		timeout, args = scripttest.Duration(ts, "waitlog", "-t", args[1], time.Nanosecond), args[2:]
	}
	scripttest.Args(ts, args, 2, 3, "waitlog [-t DURATION] LOG REGEXP [COUNT]")
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	n := 1
	if len(args) > 2 {
		n = scripttest.Count(ts, "waitlog", "COUNT", args[2], 1)
	}
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(ts.MkAbs(args[0]))
		if len(re.FindAllIndex(b, -1)) >= n {
			if neg {
				ts.Fatalf("log matches %q", args[1])
			}
			return
		}
		if time.Now().After(deadline) {
			if neg {
				return
			}
			ts.Fatalf("timed out waiting for %q (x%d) in %s:\n%s", args[1], n, args[0], b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitFor(ts *testscript.TestScript, path string, re *regexp.Regexp, d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		b, _ := os.ReadFile(path)
		if re.Match(b) {
			return string(b)
		}
		if time.Now().After(deadline) {
			ts.Fatalf("timed out waiting for %q in %s:\n%s", re, path, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dial [-n] [-keep] [-src IP] [-fill N] NETWORK ADDR [INPUT]: connect,
// send N filler bytes (0) and INPUT (with \n escapes), half-close (unless
// -n), and copy everything read until EOF (10 s; 5 s with !) to stdout.
// With -keep the socket stays open after EOF until the script ends. With
// !, the connection must fail or be closed without data.
func cmdDial(ts *testscript.TestScript, neg bool, args []string) {
	halfClose, keep := true, false
	fill := 0
	d := net.Dialer{Timeout: 5 * time.Second}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-n":
			halfClose, args = false, args[1:]
		case "-keep":
			keep, args = true, args[1:]
		case "-src":
			scripttest.Args(ts, args, 2, -1, "dial -src IP ...")
			d.LocalAddr = srcAddr(ts, "dial", args[1])
			args = args[2:]
		case "-fill":
			scripttest.Args(ts, args, 2, -1, "dial -fill N ...")
			fill, args = scripttest.Count(ts, "dial", "-fill", args[1], 0), args[2:]
		default:
			ts.Fatalf("dial: unknown flag %s", args[0])
		}
	}
	if len(args) < 2 {
		ts.Fatalf("usage: dial [-n] NETWORK ADDR [INPUT]")
	}
	requested.Store(ts.Getenv("WORK"), time.Now())
	c, err := d.Dial(args[0], args[1])
	if err != nil {
		if neg {
			return
		}
		ts.Fatalf("dial: %v", err)
	}
	if keep {
		ts.Defer(func() { c.Close() })
	} else {
		defer c.Close()
	}
	// The answer may come from a child, which on a loaded machine can take
	// seconds to start; a refusal is expected at once.
	if neg {
		c.SetDeadline(time.Now().Add(5 * time.Second))
	} else {
		c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if fill > 0 {
		if _, err := c.Write(make([]byte, fill)); err != nil && !neg {
			ts.Fatalf("write: %v", err)
		}
	}
	if len(args) > 2 {
		in := strings.ReplaceAll(strings.Join(args[2:], " "), `\n`, "\n")
		in = strings.ReplaceAll(in, `\r`, "\r")
		if _, err := io.WriteString(c, in); err != nil && !neg {
			ts.Fatalf("write: %v", err)
		}
	}
	if halfClose {
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}
	b, err := io.ReadAll(c)
	ts.Stdout().Write(b)
	if neg {
		if len(b) > 0 {
			ts.Fatalf("dial: got %q, want nothing", b)
		}
		return
	}
	if err != nil {
		ts.Fatalf("read: %v (after %q)", err, b)
	}
}

// udp [-src ADDR] ADDR PAYLOAD: send one datagram and print the reply
// (waiting 10 s). With !, there must be no reply (within 500 ms).
func cmdUDP(ts *testscript.TestScript, neg bool, args []string) {
	var laddr *net.UDPAddr
	if len(args) > 1 && args[0] == "-src" {
		var err error
		laddr, err = net.ResolveUDPAddr("udp", args[1])
		ts.Check(err)
		args = args[2:]
	}
	if len(args) < 2 {
		ts.Fatalf("usage: udp [-src ADDR] ADDR PAYLOAD")
	}
	raddr, err := net.ResolveUDPAddr("udp", args[0])
	ts.Check(err)
	requested.Store(ts.Getenv("WORK"), time.Now())
	c, err := net.DialUDP("udp", laddr, raddr)
	ts.Check(err)
	defer c.Close()
	_, err = c.Write([]byte(strings.Join(args[1:], " ")))
	ts.Check(err)
	// A reply may need a child started first: on a loaded machine that
	// alone can take seconds.
	wait := 10 * time.Second
	if neg {
		wait = 500 * time.Millisecond
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	if neg {
		if err == nil {
			ts.Fatalf("udp: got reply %q, want none", buf[:n])
		}
		return
	}
	if err != nil {
		ts.Fatalf("udp: %v", err)
	}
	ts.Stdout().Write(buf[:n])
}

// signal SIG PID: send HUP, TERM, USR1, USR2, STOP, CONT... to a process;
// PID may be @FILE, a file holding the pid.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: signal SIG PID")
	}
	sigs := map[string]syscall.Signal{"HUP": syscall.SIGHUP, "TERM": syscall.SIGTERM, "INT": syscall.SIGINT,
		"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "KILL": syscall.SIGKILL,
		"STOP": syscall.SIGSTOP, "CONT": syscall.SIGCONT}
	sig, ok := sigs[args[0]]
	if !ok {
		ts.Fatalf("unknown signal %s", args[0])
	}
	arg := args[1]
	if f, ok := strings.CutPrefix(arg, "@"); ok {
		arg = strings.TrimSpace(ts.ReadFile(f))
	}
	pid, err := strconv.Atoi(arg)
	ts.Check(err)
	ts.Check(syscall.Kill(pid, sig))
}

// sleep DURATION
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 1, 1, "sleep DURATION")
	time.Sleep(scripttest.Duration(ts, "sleep", "DURATION", args[0], time.Nanosecond))
}

// requested holds, per script (its $WORK), when its last dial or udp
// command started: what an answer about the time is checked against.
var requested sync.Map // WORK → time.Time

// rfc868: the last command's stdout must be an RFC 868 answer: exactly 4
// bytes (counted as bytes: they are often valid UTF-8), seconds since 1900
// between the start of the last dial or udp command and now (±1 s for the
// whole seconds), however long the answer took on a loaded machine.
func cmdRFC868(ts *testscript.TestScript, neg bool, args []string) {
	b := []byte(ts.ReadFile("stdout"))
	if len(b) != 4 {
		ts.Fatalf("rfc868: got %d bytes %x, want 4", len(b), b)
	}
	const since1900 = 2208988800 // seconds from 1900-01-01 to 1970-01-01
	got := int64(binary.BigEndian.Uint32(b)) - since1900
	now := time.Now().Unix()
	from := now - 2
	if v, ok := requested.Load(ts.Getenv("WORK")); ok {
		from = v.(time.Time).Unix()
	}
	if got < from-1 || got > now+1 {
		ts.Fatalf("rfc868: answer %d is outside the request's time %d..%d", got, from, now)
	}
}

// srcAddr parses a -src IP of cmd: a client's local address, which must
// be an IP address (a typo must not become "any address").
func srcAddr(ts *testscript.TestScript, cmd, s string) *net.TCPAddr {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		ts.Fatalf("%s: bad -src %q: %v", cmd, s, err)
	}
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, 0))
}
