package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/control"
)

// Test programs and commands for binary upgrades.

// svcWaitHold FIFO is a wait-mode datagram service that stays until told
// to go: it answers "hold PID: PAYLOAD" to each datagram on fd 0; to
// "stall" it answers "stalled PID" and reads no more datagrams until a
// line can be read from FIFO (a writer opens it); to "quit" it answers
// "bye PID" and exits. It gives up after 30 s.
func svcWaitHold() {
	c, err := net.FilePacketConn(os.NewFile(0, "sock"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.AfterFunc(30*time.Second, func() { os.Exit(3) })
	buf := make([]byte, 2048)
	for {
		n, addr, err := c.ReadFrom(buf)
		if err != nil {
			os.Exit(1)
		}
		switch p := string(buf[:n]); p {
		case "quit":
			c.WriteTo([]byte(fmt.Sprintf("bye %d", os.Getpid())), addr)
			os.Exit(0)
		case "stall":
			c.WriteTo([]byte(fmt.Sprintf("stalled %d", os.Getpid())), addr)
			os.ReadFile(os.Args[1]) // blocks until a writer opens the fifo
		default:
			c.WriteTo([]byte(fmt.Sprintf("hold %d: %s", os.Getpid(), p)), addr)
		}
	}
}

// pidpoll PIDFILE STOPFILE: for background use. Reads PIDFILE in a tight
// loop until STOPFILE exists (30 s at most; STOPFILE.ready is written
// after the first good read) and checks every read: the
// file exists, holds a pid, and that pid is a live ginetd (not a zombie,
// argv[0] ginetd) that catches SIGHUP, or, if not, one the file no longer
// names by the time that is seen. Prints
// "reads=N missing=M bad=B pids=P" and the first problem.
func pidpoll() {
	path, stop := os.Args[1], os.Args[2]
	var reads, missing, bad int
	var first string
	pids := map[int]bool{}
	problem := func(s string) {
		if first == "" {
			first = s
		}
	}
	end := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(end); i++ {
		if i%64 == 0 {
			if _, err := os.Stat(stop); err == nil {
				break
			}
		}
		b, err := os.ReadFile(path)
		reads++
		if err != nil {
			missing++
			problem(err.Error())
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			bad++
			problem(fmt.Sprintf("content %q", b))
			continue
		}
		if why := liveGinetd(pid); why != "" {
			// The pid was read before the check: if the file has
			// moved on meanwhile, the process may have exited
			// after its successor took over. It is a fault only if
			// the file still names it.
			if b2, err := os.ReadFile(path); err == nil && !bytes.Equal(b, b2) {
				continue
			}
			bad++
			problem(fmt.Sprintf("pid %d: %s", pid, why))
			continue
		}
		if len(pids) == 0 {
			os.WriteFile(stop+".ready", []byte("ok\n"), 0o644)
		}
		pids[pid] = true
	}
	fmt.Printf("reads=%d missing=%d bad=%d pids=%d first=%s\n", reads, missing, bad, len(pids), first)
}

// liveGinetd returns why pid is not a live ginetd that acts on SIGHUP, or "".
func liveGinetd(pid int) string {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		return err.Error()
	}
	if arg0, _, _ := bytes.Cut(cmdline, []byte{0}); filepath.Base(string(arg0)) != "ginetd" {
		return fmt.Sprintf("argv[0] %q", arg0)
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "State":
			if strings.HasPrefix(v, "Z") || strings.HasPrefix(v, "X") {
				return "state " + v
			}
		case "SigCgt":
			mask, err := strconv.ParseUint(v, 16, 64)
			if err != nil || mask&(1<<(unix.SIGHUP-1)) == 0 {
				return "does not catch SIGHUP"
			}
		}
	}
	return ""
}

// cmdUnixgramCreds is unixgram -creds.
func cmdUnixgramCreds(ts interface {
	Check(error)
	Defer(func())
}, path, file string) {
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	ts.Check(err)
	rc, err := c.SyscallConn()
	ts.Check(err)
	var serr error
	ts.Check(rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1) }))
	ts.Check(serr)
	out, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	ts.Check(err)
	ts.Defer(func() { c.Close(); out.Close() })
	go func() {
		buf := make([]byte, 65536)
		oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
		for {
			n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
			if err != nil {
				return
			}
			pid := "?"
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, m := range msgs {
					if cred, err := unix.ParseUnixCredentials(&m); err == nil {
						pid = strconv.Itoa(int(cred.Pid))
					}
				}
			}
			out.Write([]byte("pid=" + pid + " " + string(buf[:n]) + "\n"))
		}
	}()
}

// sessions are the connections of the sess command, by $WORK and name.
var sessions sync.Map // string → *session

type session struct {
	c   net.Conn
	buf []byte // read, not yet matched by expect
}

// sess open NAME ADDR | send NAME TEXT | expect NAME REGEXP | eof NAME:
// a TCP connection kept across commands (and upgrades). send writes TEXT
// (\n and \r escapes); expect reads until what came since the last match
// matches REGEXP (5 s), and prints it; eof half-closes, reads to EOF (5 s)
// and prints what came. A session is closed by eof or at the end of the
// script. With !, expect must fail: EOF or a reset before a match.
func cmdSess(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: sess open|send|expect|eof NAME [ARG]")
	}
	key := ts.Getenv("WORK") + "\x00" + args[1]
	if args[0] == "open" {
		if len(args) != 3 {
			ts.Fatalf("usage: sess open NAME ADDR")
		}
		c, err := net.DialTimeout("tcp", args[2], 5*time.Second)
		ts.Check(err)
		sessions.Store(key, &session{c: c})
		ts.Defer(func() { c.Close() })
		return
	}
	v, ok := sessions.Load(key)
	if !ok {
		ts.Fatalf("sess: no session %s", args[1])
	}
	s := v.(*session)
	switch args[0] {
	case "send":
		text := strings.ReplaceAll(strings.Join(args[2:], " "), `\n`, "\n")
		text = strings.ReplaceAll(text, `\r`, "\r")
		s.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := s.c.Write([]byte(text))
		ts.Check(err)
	case "expect":
		if len(args) != 3 {
			ts.Fatalf("usage: sess expect NAME REGEXP")
		}
		re := regexp.MustCompile(args[2])
		s.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 4096)
		for !re.Match(s.buf) {
			n, err := s.c.Read(b)
			s.buf = append(s.buf, b[:n]...)
			if err != nil {
				if neg {
					return
				}
				ts.Fatalf("sess expect %s: %v after %q", args[1], err, s.buf)
			}
		}
		if neg {
			ts.Fatalf("sess expect %s: matched %q", args[1], s.buf)
		}
		ts.Stdout().Write(s.buf)
		s.buf = nil
	case "eof":
		if cw, ok := s.c.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		s.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(s.c)
		ts.Stdout().Write(append(s.buf, b...))
		s.c.Close()
		sessions.Delete(key)
		if err != nil {
			ts.Fatalf("sess eof %s: %v", args[1], err)
		}
	default:
		ts.Fatalf("sess: unknown %s", args[0])
	}
}

// ctlpoll SOCKET STOPFILE: for background use. Sends "status" to the
// control socket in a loop until STOPFILE exists (30 s at most;
// STOPFILE.ready is written after the first answer) and counts the
// requests that got no answer. Prints "reqs=N failed=M first=...".
func ctlpoll() {
	path, stop := os.Args[1], os.Args[2]
	var reqs, failed int
	var first string
	end := time.Now().Add(30 * time.Second)
	for time.Now().Before(end) {
		if _, err := os.Stat(stop); err == nil {
			break
		}
		_, err := control.Request(path, "status")
		reqs++
		if err != nil {
			failed++
			if first == "" {
				first = err.Error()
			}
		} else if reqs == 1 {
			os.WriteFile(stop+".ready", []byte("ok\n"), 0o644)
		}
	}
	fmt.Printf("reqs=%d failed=%d first=%s\n", reqs, failed, first)
}
