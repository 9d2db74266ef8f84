package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// fdload [-n N] [-c C] [-hup PID] KIND=ARGS...: drive every target at
// once, N clients each, C at a time per target (sending PID SIGHUP every
// 100 ms meanwhile: reloads under load), and check what each svc-probe
// child reports on its "fds" line: 0,1,2 and nothing else (0,1,2,3 for
// KIND sd). Prints "probes=P leaks=L" and fails if a probe saw a foreign
// descriptor, or if fewer than half of a target's clients got an answer.
// KINDs, each ARGS comma-separated:
//
//	tcp=ADDR, sd=ADDR       a connection, read to EOF
//	proxy=ADDR              from 127.0.0.2, a PROXY v1 header first
//	ls=ADDR, lsproxy=ADDR   as tcp and proxy, for "ls -l /proc/self/fd/"
//	                        instead of svc-probe: a child that starts
//	                        in a millisecond, to drive many more spawns
//	tls=CAFILE,ADDR         TLS, the server checked against CAFILE
//	tcpmux=NAME,ADDR        RFC 1078: NAME first
//	load=ADDR               a connection, read 1 KiB, close (no probe)
//	udp=ADDR                a datagram from a fresh socket (resent every
//	                        500 ms) until the reply
func cmdFDLoad(ts *testscript.TestScript, neg bool, args []string) {
	n, c, hup := 100, 4, 0
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-n":
			n = scripttest.Count(ts, "fdload", "-n", args[1], 1)
		case "-c":
			c = scripttest.Count(ts, "fdload", "-c", args[1], 1)
		case "-hup":
			hup = scripttest.Count(ts, "fdload", "-hup", args[1], 2) // a pid, never init's
		default:
			ts.Fatalf("fdload: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	var (
		probes, leaks atomic.Int64
		mu            sync.Mutex
		report        []string
		wg            sync.WaitGroup
		// UDP clients keep their sockets (and so their ports) to the
		// end: a new client on an earlier one's port would be that
		// one's client still, for its child.
		udpConns []net.Conn
	)
	defer func() {
		for _, c := range udpConns {
			c.Close()
		}
	}()
	for _, arg := range args {
		kind, rest, ok := strings.Cut(arg, "=")
		if !ok {
			ts.Fatalf("fdload: %q is not KIND=ARGS", arg)
		}
		parts := strings.Split(rest, ",")
		client, want := fdClient(ts, kind, parts, func(c net.Conn) {
			mu.Lock()
			udpConns = append(udpConns, c)
			mu.Unlock()
		})
		var next, answered atomic.Int64
		var twg sync.WaitGroup
		for w := 0; w < c; w++ {
			twg.Add(1)
			go func() {
				defer twg.Done()
				for next.Add(1) <= int64(n) {
					out, err := client()
					if err != nil {
						continue
					}
					answered.Add(1)
					if want == "" {
						continue
					}
					got := probeFDs(out)
					if strings.HasPrefix(kind, "ls") {
						got = lsFDs(out)
					}
					probes.Add(1)
					if got != want {
						leaks.Add(1)
						mu.Lock()
						report = append(report, fmt.Sprintf("%s: fds %s\n%s", kind, got, fdLines(out)))
						mu.Unlock()
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			twg.Wait()
			if answered.Load() < int64(n)/2 {
				mu.Lock()
				report = append(report, fmt.Sprintf("%s: only %d of %d clients answered", arg, answered.Load(), n))
				mu.Unlock()
			}
		}()
	}
	stop := make(chan struct{})
	reloads := 0
	var hwg sync.WaitGroup
	if hup > 0 {
		hwg.Add(1)
		go func() {
			defer hwg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if syscall.Kill(hup, syscall.SIGHUP) == nil {
						reloads++
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	hwg.Wait()
	if hup > 0 && reloads == 0 {
		ts.Fatalf("fdload: no reload was asked for during the load")
	}
	fmt.Fprintf(ts.Stdout(), "probes=%d leaks=%d\n", probes.Load(), leaks.Load())
	if len(report) > 0 {
		if len(report) > 10 {
			report = report[:10]
		}
		ts.Fatalf("fdload:\n%s", strings.Join(report, "\n"))
	}
}

// fdClient returns one client of kind and the fds line its probe must
// report ("" for no probe).
func fdClient(ts *testscript.TestScript, kind string, a []string, keep func(net.Conn)) (func() ([]byte, error), string) {
	const wait = 20 * time.Second
	want := "0,1,2"
	d := net.Dialer{Timeout: wait}
	readAll := func(c net.Conn, first string) ([]byte, error) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(wait))
		if first != "" {
			if _, err := io.WriteString(c, first); err != nil {
				return nil, err
			}
		}
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		return io.ReadAll(c)
	}
	switch kind {
	case "tcp", "sd", "ls":
		if kind == "sd" {
			want = "0,1,2,3"
		}
		return func() ([]byte, error) {
			c, err := d.Dial("tcp", a[0])
			if err != nil {
				return nil, err
			}
			return readAll(c, "")
		}, want
	case "proxy", "lsproxy":
		pd := d
		pd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}
		return func() ([]byte, error) {
			c, err := pd.Dial("tcp", a[0])
			if err != nil {
				return nil, err
			}
			return readAll(c, "PROXY TCP4 192.0.2.7 127.0.0.1 5555 17\r\n")
		}, want
	case "tls":
		caPEM, err := os.ReadFile(ts.MkAbs(a[0]))
		ts.Check(err)
		cfg := &tls.Config{RootCAs: x509.NewCertPool()}
		cfg.RootCAs.AppendCertsFromPEM(caPEM)
		return func() ([]byte, error) {
			c, err := tls.DialWithDialer(&d, "tcp", a[1], cfg)
			if err != nil {
				return nil, err
			}
			return readAll(c, "")
		}, "0,1,2"
	case "tcpmux":
		return func() ([]byte, error) {
			c, err := d.Dial("tcp", a[1])
			if err != nil {
				return nil, err
			}
			return readAll(c, a[0]+"\r\n")
		}, "0,1,2"
	case "load":
		return func() ([]byte, error) {
			c, err := d.Dial("tcp", a[0])
			if err != nil {
				return nil, err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(wait))
			_, err = io.ReadFull(c, make([]byte, 1024))
			return nil, err
		}, ""
	case "udp":
		return func() ([]byte, error) {
			c, err := net.Dial("udp", a[0])
			if err != nil {
				return nil, err
			}
			keep(c)
			// Resend as a real client does: a datagram queued behind
			// another sender's is dropped (docs/ginetd.8, CHILDREN).
			buf := make([]byte, 65536)
			for end := time.Now().Add(wait); time.Now().Before(end); {
				if _, err := c.Write([]byte("probe")); err != nil {
					return nil, err
				}
				c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
				if k, err := c.Read(buf); err == nil {
					return buf[:k], nil
				}
			}
			return nil, errors.New("no answer")
		}, "0,1,2"
	}
	ts.Fatalf("fdload: unknown kind %q", kind)
	return nil, ""
}

// probeFDs returns the value of svc-probe's "fds" line in out.
func probeFDs(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "fds "); ok {
			return v
		}
	}
	return "(no fds line in " + strconv.Quote(string(out[:min(len(out), 80)])) + ")"
}

// lsFDs returns the descriptors "ls -l /proc/self/fd/" lists in out,
// but for the one ls reads the directory with.
func lsFDs(out []byte) string {
	var fds []int
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && f[len(f)-2] == "->" && !strings.HasPrefix(f[len(f)-1], "/proc/") {
			if fd, err := strconv.Atoi(f[len(f)-3]); err == nil {
				fds = append(fds, fd)
			}
		}
	}
	sort.Ints(fds)
	list := make([]string, len(fds))
	for i, fd := range fds {
		list[i] = strconv.Itoa(fd)
	}
	return strings.Join(list, ",")
}

// fdLines returns svc-probe's "fd N TARGET" lines in out.
func fdLines(out []byte) string {
	var b strings.Builder
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "fd ") || strings.Contains(l, " -> ") {
			b.WriteString("\t" + l + "\n")
		}
	}
	return b.String()
}
