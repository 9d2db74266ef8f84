package main

import (
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/syslog/sink"
)

type ptysKey struct{}

// pty is a pseudo-terminal a script opened: what arrives on its master is
// collected in out.
type pty struct {
	mu  sync.Mutex
	out []byte
}

// pty NAME VAR: open a pseudo-terminal; set VAR to its line ("pts/N").
// pty -wait NAME REGEXP: wait until its output matches REGEXP.
func cmdPty(ts *testscript.TestScript, neg bool, args []string) {
	ptys := ts.Value(ptysKey{}).(map[string]*pty)
	if len(args) == 3 && args[0] == "-wait" {
		p := ptys[args[1]]
		if p == nil {
			ts.Fatalf("pty: no pty %s", args[1])
		}
		re, err := regexp.Compile(args[2])
		ts.Check(err)
		match := func() (bool, string) {
			p.mu.Lock()
			defer p.mu.Unlock()
			return re.Match(p.out), string(p.out)
		}
		if neg {
			time.Sleep(300 * time.Millisecond)
			if ok, out := match(); ok {
				ts.Fatalf("pty %s: %q matches %q", args[1], out, args[2])
			}
			return
		}
		deadline := time.Now().Add(waitMax)
		for {
			ok, out := match()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("pty %s: %q does not match %q after %v", args[1], out, args[2], waitMax)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(args) != 2 {
		ts.Fatalf("usage: pty NAME VAR | pty -wait NAME REGEXP")
	}
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	ts.Check(err)
	ts.Check(unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	ts.Check(err)
	line := "pts/" + strconv.Itoa(n)
	// Keep the slave open, as a login session would: without it, what is
	// written to the slave is lost.
	s, err := os.OpenFile("/dev/"+line, os.O_RDWR|unix.O_NOCTTY, 0)
	ts.Check(err)
	p := &pty{}
	ptys[args[0]] = p
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			p.mu.Lock()
			p.out = append(p.out, buf[:n]...)
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	ts.Defer(func() {
		s.Close()
		m.Close()
		<-done
	})
	ts.Setenv(args[1], line)
}

// utmp FILE USER LINE: append a USER_PROCESS record for USER on LINE.
func cmdUtmp(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: utmp FILE USER LINE")
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	ts.Check(err)
	defer f.Close()
	_, err = f.Write(sink.UtmpRecord(args[1], args[2], os.Getpid()))
	ts.Check(err)
}

// mkfifo PATH: make a named pipe.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	for _, a := range args {
		ts.Check(unix.Mkfifo(ts.MkAbs(a), 0o600))
	}
}

// fiforead FIFO FILE: copy what comes out of FIFO to FILE, in the
// background, until the script ends.
func cmdFifoRead(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: fiforead FIFO FILE")
	}
	// O_RDWR: never EOF, and the open does not wait for a writer.
	r, err := os.OpenFile(ts.MkAbs(args[0]), os.O_RDWR, 0)
	ts.Check(err)
	w, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(w, r)
	}()
	ts.Defer(func() {
		r.Close()
		<-done
		w.Close()
	})
}
