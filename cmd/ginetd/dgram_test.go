package main

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// svcUDPAll is a datagram nowait child that reports every datagram it
// was given: it reads the first, waits (argv[1], default 100ms) for more
// to be queued, reads whatever is, and answers "udp-all PID: P1 P2 ...".
func svcUDPAll() {
	linger := 100 * time.Millisecond
	if len(os.Args) > 1 {
		linger = scripttest.Duration(scripttest.Exit, "svc-udp-all", "linger", os.Args[1], time.Nanosecond)
	}
	buf := make([]byte, 65536)
	n, err := syscall.Read(0, buf)
	if err != nil {
		os.Exit(1)
	}
	got := []string{string(buf[:n])}
	time.Sleep(linger)
	syscall.SetNonblock(0, true)
	for {
		n, err := syscall.Read(0, buf)
		if err != nil {
			break
		}
		got = append(got, string(buf[:n]))
	}
	syscall.Write(1, []byte(fmt.Sprintf("udp-all %d: %s", os.Getpid(), strings.Join(got, " "))))
}

// dgmix ADDR ROUNDS: per round, 127.0.0.1 and then 127.0.0.2 send one
// datagram each, back to back (on loopback both are queued on the
// service socket before ginetd wakes). The 127.0.0.1 client resends until
// answered (10 s); its answer must hold its own datagram (once or, with
// resends, more often) and nothing of the other sender's, which must get
// no answer at all.
func cmdDgMix(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.Args(ts, args, 2, 2, "dgmix ADDR ROUNDS")
	raddr, err := net.ResolveUDPAddr("udp", args[0])
	ts.Check(err)
	rounds := scripttest.Count(ts, "dgmix", "ROUNDS", args[1], 1)
	for r := 0; r < rounds; r++ {
		a, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, raddr)
		ts.Check(err)
		b, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, raddr)
		ts.Check(err)
		ma, mb := fmt.Sprintf("a%d", r), fmt.Sprintf("b%d", r)
		a.Write([]byte(ma))
		b.Write([]byte(mb))
		reply := udpAsk(ts, a, ma, func(s string) bool { return true })
		// The child may have read more than one datagram: its sender's
		// resends that queued behind the first before ginetd woke (a
		// run of one sender's datagrams goes to its child whole). None
		// may be the other sender's.
		f := strings.Fields(reply)
		if len(f) < 3 || f[0] != "udp-all" {
			ts.Fatalf("round %d: the child of 127.0.0.1 answered %q", r, reply)
		}
		for _, m := range f[2:] {
			if m != ma {
				ts.Fatalf("round %d: the child of 127.0.0.1 read %q", r, reply)
			}
		}
		b.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if n, err := b.Read(make([]byte, 512)); err == nil {
			ts.Fatalf("round %d: 127.0.0.2 got an answer (%d bytes)", r, n)
		}
		a.Close()
		b.Close()
	}
	fmt.Fprintf(ts.Stdout(), "rounds=%d\n", rounds)
}

// dgreuse ADDR LOG SVC: a client sends "one" and goes away once LOG shows
// SVC's child for it started, while that child still runs (svc-udp-all
// with a linger); a new client on the same address and port sends "two"
// (resending until answered). No child may read both: "two" must be
// answered by a child of its own.
func cmdDgReuse(ts *testscript.TestScript, neg bool, args []string) {
	raddr, err := net.ResolveUDPAddr("udp", args[0])
	ts.Check(err)
	c1, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, raddr)
	ts.Check(err)
	local := c1.LocalAddr().(*net.UDPAddr)
	c1.Write([]byte("one"))
	accepted := regexp.MustCompile(`msg=accept svc=` + regexp.QuoteMeta(args[2]) + ` peer=` + regexp.QuoteMeta(local.String()) + ` `)
	waitFor(ts, ts.MkAbs(args[1]), accepted, 10*time.Second)
	c1.Close()
	c2, err := net.DialUDP("udp", local, raddr)
	ts.Check(err)
	defer c2.Close()
	reply := udpAsk(ts, c2, "two", func(s string) bool {
		// The first child's answer to "one" may arrive here: the port is
		// the same. Wait for the answer to "two".
		return strings.Contains(s, "two")
	})
	// Its resends may have queued behind it: they go to the same child.
	f := strings.Fields(reply)
	if len(f) < 3 || f[0] != "udp-all" {
		ts.Fatalf("the new client's datagram was read as %q", reply)
	}
	for _, m := range f[2:] {
		if m != "two" {
			ts.Fatalf("the new client's datagram was read as %q", reply)
		}
	}
	fmt.Fprintf(ts.Stdout(), "%s\n", reply)
}

// udpAsk sends msg on c every 300 ms until an answer that done accepts
// arrives (10 s), and returns it.
func udpAsk(ts *testscript.TestScript, c *net.UDPConn, msg string, done func(string) bool) string {
	buf := make([]byte, 65536)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		if err == nil {
			if s := string(buf[:n]); done(s) {
				return s
			}
			continue
		}
		c.Write([]byte(msg))
	}
	ts.Fatalf("no answer to %q", msg)
	return ""
}

// udpbg DURATION ADDR [N] (a program, for exec ... &): N (4) clients send
// datagrams to ADDR for DURATION, each request from a fresh socket,
// resent every 300 ms for up to 10 s; prints "ok=N failed=M first=ERR".
func udpbg() {
	scripttest.Args(scripttest.Exit, os.Args[1:], 2, 3, "udpbg DURATION ADDR [N]")
	d := scripttest.Duration(scripttest.Exit, "udpbg", "DURATION", os.Args[1], time.Nanosecond)
	raddr, err := net.ResolveUDPAddr("udp", os.Args[2])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	workers := 4
	if len(os.Args) > 3 {
		workers = scripttest.Count(scripttest.Exit, "udpbg", "N", os.Args[3], 1)
	}
	var mu sync.Mutex
	ok, failed, first := 0, 0, ""
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 65536)
			for time.Now().Before(end) {
				err := func() error {
					c, err := net.DialUDP("udp", nil, raddr)
					if err != nil {
						return err
					}
					defer c.Close()
					for give := time.Now().Add(10 * time.Second); ; {
						c.Write([]byte("x"))
						c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
						_, err := c.Read(buf)
						if err == nil || time.Now().After(give) {
							return err
						}
					}
				}()
				mu.Lock()
				if err != nil {
					failed++
					if first == "" {
						first = err.Error()
					}
				} else {
					ok++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("ok=%d failed=%d first=%v\n", ok, failed, first)
}
