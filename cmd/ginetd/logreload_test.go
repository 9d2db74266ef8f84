package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// unixstream PATH FILE: a syslog daemon on a unix stream socket at PATH
// (as ginetd's syslog writer falls back to, like glibc): FILE gets a line
// "connect" for each connection accepted, then the lines it sends.
func cmdUnixStream(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 2, 2, "unixstream PATH FILE")
	l, err := net.Listen("unix", args[0])
	ts.Check(err)
	out, err := os.OpenFile(ts.MkAbs(args[1]), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	ts.Check(err)
	lines := make(chan string)
	done := make(chan struct{})
	ts.Defer(func() { l.Close(); close(done) })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case lines <- "connect\n":
			case <-done:
				c.Close()
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					s, err := r.ReadString('\n')
					if err != nil {
						return
					}
					select {
					case lines <- s:
					case <-done:
						return
					}
				}
			}()
		}
	}()
	go func() {
		defer out.Close()
		for {
			select {
			case s := <-lines:
				out.WriteString(s)
			case <-done:
				return
			}
		}
	}()
}

var reloadRE = regexp.MustCompile(`msg=reload(?:-failed)? `)

// reloads N PID LOG [ADDR...]: N times, send SIGHUP to PID, wait (20 s)
// until LOG has one more reload line (failing at a reload-failed one),
// then connect to each ADDR (TCP) and read until it closes (5 s), so that
// each service logs a line through its configuration of this reload.
func cmdReloads(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 3, -1, "reloads N PID LOG [ADDR...]")
	n := scripttest.Count(ts, "reloads", "N", args[0], 1)
	pid, err := strconv.Atoi(args[1])
	ts.Check(err)
	log := ts.MkAbs(args[2])
	count := func() int {
		b, _ := os.ReadFile(log)
		m := reloadRE.FindAll(b, -1)
		for _, s := range m {
			if string(s) != "msg=reload " {
				ts.Fatalf("reloads: a reload failed:\n%s", b)
			}
		}
		return len(m)
	}
	seen := count()
	for i := 0; i < n; i++ {
		ts.Check(syscall.Kill(pid, syscall.SIGHUP))
		deadline := time.Now().Add(20 * time.Second)
		for count() <= seen {
			if time.Now().After(deadline) {
				ts.Fatalf("reloads: reload %d of %d not logged in %s", i+1, n, args[2])
			}
			time.Sleep(10 * time.Millisecond)
		}
		seen++
		for _, addr := range args[3:] {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			ts.Check(err)
			c.SetDeadline(time.Now().Add(5 * time.Second))
			_, err = io.Copy(io.Discard, c)
			c.Close()
			if err != nil && !errors.Is(err, syscall.ECONNRESET) { // a refused client may see a reset
				ts.Fatalf("reloads: %s: %v", addr, err)
			}
		}
	}
}
