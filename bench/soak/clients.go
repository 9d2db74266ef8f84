package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// tally counts outcomes per client kind: "ok" or a failure cause for the
// well-behaved kinds, what happened for the others.
type tally struct {
	mu    sync.Mutex
	by    map[string]map[string]int64 // kind → outcome → count
	conns atomic.Int64                // every connection or request made
	good  atomic.Int64                // well-behaved, answered and verified
	bad   atomic.Int64                // well-behaved, failed
	// knownBad counts the failures of kinds marked as known defects.
	knownBad atomic.Int64
	// upgradeCut counts well-behaved failures of attempts that overlapped
	// an upgrade.
	upgradeCut atomic.Int64
	// refusedInTransition counts well-behaved refusals while a reload or
	// an upgrade was under way (or within a second of one).
	refusedInTransition atomic.Int64
	foreign             atomic.Int64 // foreign descriptors reported by probes
	examples            map[string]string
}

func newTally() *tally {
	return &tally{by: map[string]map[string]int64{}, examples: map[string]string{}}
}

func (t *tally) add(kind, outcome string) {
	t.mu.Lock()
	m := t.by[kind]
	if m == nil {
		m = map[string]int64{}
		t.by[kind] = m
	}
	m[outcome]++
	t.mu.Unlock()
}

// example keeps the first detail seen for kind/outcome, for the report.
func (t *tally) example(key, detail string) {
	t.mu.Lock()
	if _, ok := t.examples[key]; !ok {
		t.examples[key] = detail
	}
	t.mu.Unlock()
}

// failure is a well-behaved client's failed attempt, with its cause.
type failure struct {
	cause  string
	detail string
}

func (f *failure) Error() string { return f.cause + ": " + f.detail }

func fail(cause, format string, a ...any) error {
	return &failure{cause, fmt.Sprintf(format, a...)}
}

// classify turns a network error into a cause.
func classify(err error) string {
	var f *failure
	switch {
	case errors.As(err, &f):
		return f.cause
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "short"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "addrnotavail"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "other"
}

const connTimeout = 10 * time.Second

func dialFrom(src, addr string) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: connTimeout}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial("tcp4", addr)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	tc.SetDeadline(time.Now().Add(connTimeout))
	return tc, nil
}

// exchange connects, sends in, half-closes and reads the answer to EOF.
func exchange(src, addr string, in []byte) ([]byte, error) {
	c, err := dialFrom(src, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if len(in) > 0 {
		if _, err := c.Write(in); err != nil {
			return nil, err
		}
	}
	c.CloseWrite()
	return io.ReadAll(io.LimitReader(c, 1<<20))
}

func payload() []byte {
	n := 1 + rand.IntN(2000)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rand.IntN(26))
	}
	b[n-1] = '\n'
	return b
}

func wantEcho(got, want []byte, err error) error {
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fail("mismatch", "got %d bytes %.40q, want %d", len(got), got, len(want))
	}
	return nil
}

var probeRE = regexp.MustCompile(`probe in=(\d+) foreign=(\d+) fds=(\S*) remote=(\S*) subject="(.*)"\n`)

// checkProbe verifies a probe's answer: no foreign descriptor, the bytes
// sent counted, and the remote address and subject ginetd passed on.
func (s *soak) checkProbe(path string, got []byte, err error, in int, remote, subject string) error {
	if err != nil {
		return err
	}
	m := probeRE.FindSubmatch(got)
	if m == nil {
		return fail("mismatch", "not a probe answer: %.80q", got)
	}
	if n, _ := strconv.Atoi(string(m[2])); n > 0 {
		s.t.foreign.Add(int64(n))
		s.t.example("foreign "+path, string(m[3]))
		return fail("foreign-fd", "%s: %s", path, m[3])
	}
	if string(m[1]) != strconv.Itoa(in) {
		return fail("mismatch", "probe read %s bytes, sent %d", m[1], in)
	}
	if remote != "" && string(m[4]) != remote {
		return fail("mismatch", "remote %s, want %s", m[4], remote)
	}
	if subject != "" && !strings.Contains(string(m[5]), subject) {
		return fail("mismatch", "subject %q, want %q", m[5], subject)
	}
	return nil
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// goodKinds are the well-behaved clients: each makes one attempt against
// a service that exists in every epoch and verifies the answer.
func (s *soak) goodKinds() map[string]func() error {
	p := s.ports
	return map[string]func() error{
		"exec-echo": func() error {
			in := payload()
			got, err := exchange("", addr(p.execEcho), in)
			return wantEcho(got, in, err)
		},
		"exec-probe": func() error {
			in := payload()
			got, err := exchange("", addr(p.probe), in)
			return s.checkProbe("exec", got, err, len(in), "127.0.0.1", "")
		},
		"wait-tcp": func() error {
			in := payload()
			got, err := exchange("", addr(p.waitTCP), in)
			if err != nil {
				return err
			}
			i := bytes.IndexByte(got, '\n')
			if i < 0 {
				return fail("short", "%.40q", got)
			}
			if err := s.checkProbe("wait-tcp", got[:i+1], nil, 0, "", ""); err != nil {
				return err
			}
			return wantEcho(got[i+1:], in, nil)
		},
		"wait-udp":     func() error { return s.udpProbe(p.waitUDP, "wait ") },
		"dgram-nowait": func() error { return s.udpProbe(p.dgram, "dgram ") },
		"builtin-echo": func() error {
			in := payload()
			got, err := exchange("", addr(p.echo), in)
			return wantEcho(got, in, err)
		},
		"builtin-discard": func() error {
			got, err := exchange("", addr(p.discard), payload())
			return wantEcho(got, nil, err)
		},
		"builtin-chargen": func() error {
			c, err := dialFrom("", addr(p.chargen))
			if err != nil {
				return err
			}
			defer c.Close()
			buf := make([]byte, 74*20)
			if _, err := io.ReadFull(c, buf); err != nil {
				return err
			}
			// Each line is 72 printable characters and CR LF.
			for i := 0; i < 20; i++ {
				l := buf[i*74 : (i+1)*74]
				if l[72] != '\r' || l[73] != '\n' || l[1] != l[0]+1 && !(l[0] == '~' && l[1] == ' ') {
					return fail("mismatch", "chargen line %q", l)
				}
			}
			return nil
		},
		"builtin-daytime": func() error {
			got, err := exchange("", addr(p.daytime), nil)
			if err != nil {
				return err
			}
			if !bytes.HasSuffix(got, []byte("\r\n")) || !bytes.Contains(got, []byte(strconv.Itoa(time.Now().Year()))) {
				return fail("mismatch", "daytime %q", got)
			}
			return nil
		},
		"builtin-time": func() error {
			got, err := exchange("", addr(p.time), nil)
			return checkTime(got, err)
		},
		"udp-builtins": s.udpBuiltins,
		"proxy-v1": func() error {
			src := fmt.Sprintf("192.0.2.%d", 1+rand.IntN(250))
			in := payload()
			hdr := fmt.Sprintf("PROXY TCP4 %s 127.0.0.1 %d %d\r\n", src, 1024+rand.IntN(60000), p.proxy)
			got, err := exchange("", addr(p.proxy), append([]byte(hdr), in...))
			return s.checkProbe("proxy-v1", got, err, len(in), src, "")
		},
		"proxy-v2": func() error {
			src := fmt.Sprintf("2001:db8::%x", 1+rand.IntN(0xfff0))
			in := payload()
			got, err := exchange("", addr(p.proxy), append(proxyV2(src, 4444), in...))
			return s.checkProbe("proxy-v2", got, err, len(in), src, "")
		},
		"tls-client-cert": s.tlsGood,
		"tcpmux": func() error {
			in := payload()
			got, err := exchange("", addr(p.tcpmux), append([]byte("soakprobe\r\n"), in...))
			if err != nil {
				return err
			}
			if !bytes.HasPrefix(got, []byte("+")) {
				return fail("mismatch", "tcpmux: %.60q", got)
			}
			i := bytes.IndexByte(got, '\n')
			return s.checkProbe("tcpmux", got[i+1:], nil, len(in), "127.0.0.1", "")
		},
		"tcpmux-cat": func() error {
			in := payload()
			got, err := exchange("", addr(p.tcpmux), append([]byte("SOAKCAT\r\n"), in...))
			return wantEcho(got, in, err)
		},
		"redirect": func() error {
			in := payload()
			got, err := exchange("", addr(p.redirect), in)
			return wantEcho(got, in, err)
		},
		// per_source refuses the excess with the limit message: both
		// answers are right, anything else is not. The client sends its
		// request before it reads: a refused one must still read the
		// message, not a reset (docs/reliability.md, finding 9).
		"per-source": func() error {
			in := payload()
			got, err := exchange("127.0.0.5", addr(p.perSource), in)
			if err == nil && string(got) == "soak busy\r\n" {
				s.t.add("per-source", "limited")
				return nil
			}
			return wantEcho(got, append([]byte("slow\n"), in...), err)
		},
		"instances": func() error {
			in := payload()
			got, err := exchange("", addr(p.instances), in)
			return wantEcho(got, append([]byte("slow\n"), in...), err)
		},
		// max_lifetime ends a child that would sleep a minute: the client
		// sees EOF after the lifetime (1 or 1.5 s) and kill_grace at most.
		"lifetime": func() error {
			start := time.Now()
			got, err := exchange("", addr(p.lifetime), nil)
			if err != nil {
				return err
			}
			if d := time.Since(start); d < 500*time.Millisecond || d > 4*time.Second || len(got) > 0 {
				return fail("lifetime", "closed after %v with %q", d.Round(time.Millisecond), got)
			}
			return nil
		},
		// Allowed from 127.0.0.1; from 127.0.0.2 (no_access) the
		// connection must be closed without an answer.
		"access": func() error {
			in := payload()
			got, err := exchange("", addr(p.denied), in)
			if err := s.checkProbe("access", got, err, len(in), "127.0.0.1", ""); err != nil {
				return err
			}
			got, err = exchange("127.0.0.2", addr(p.denied), []byte("let me in\n"))
			if len(got) > 0 {
				return fail("access-bypass", "no_access client got %.60q", got)
			}
			if err != nil && classify(err) != "reset" {
				return err
			}
			return nil
		},
	}
}

// goodWorkers is how many goroutines run each well-behaved kind.
var goodWorkers = map[string]int{
	"exec-echo": 2, "exec-probe": 2, "wait-tcp": 1, "wait-udp": 1, "dgram-nowait": 1,
	"builtin-echo": 3, "builtin-discard": 2, "builtin-chargen": 2, "builtin-daytime": 3, "builtin-time": 2,
	"udp-builtins": 2, "proxy-v1": 1, "proxy-v2": 1, "tls-client-cert": 1, "tcpmux": 1, "tcpmux-cat": 1,
	"redirect": 2, "per-source": 4, "instances": 4, "lifetime": 2, "access": 1,
}

func checkTime(got []byte, err error) error {
	if err != nil {
		return err
	}
	if len(got) != 4 {
		return fail("mismatch", "time: %d bytes", len(got))
	}
	const since1900 = 2208988800
	d := int64(binary.BigEndian.Uint32(got)) - since1900 - time.Now().Unix()
	if d < -2 || d > 2 {
		return fail("mismatch", "time off by %d s", d)
	}
	return nil
}

// udpRequest sends a datagram from a fresh socket and waits for the answer,
// sending again twice on loss (as a UDP client does).
func udpRequest(port int, in []byte) ([]byte, error) {
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	buf := make([]byte, 4096)
	for try := 0; ; try++ {
		if _, err := c.Write(in); err != nil {
			return nil, err
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err == nil {
			return buf[:n], nil
		}
		if try == 2 {
			return nil, err
		}
	}
}

func (s *soak) udpProbe(port int, prefix string) error {
	in := payload()
	got, err := udpRequest(port, in)
	if err != nil {
		return err
	}
	want := prefix + "foreign=0() "
	if !bytes.HasPrefix(got, []byte(prefix+"foreign=")) {
		return fail("mismatch", "%.60q", got)
	}
	if !bytes.HasPrefix(got, []byte(want)) {
		s.t.foreign.Add(1)
		s.t.example("foreign "+prefix, string(got[:min(len(got), 200)]))
		return fail("foreign-fd", "%.60q", got)
	}
	return wantEcho(got[len(want):], in, nil)
}

func (s *soak) udpBuiltins() error {
	p := s.ports
	in := payload()
	got, err := udpRequest(p.uEcho, in)
	if err := wantEcho(got, in, err); err != nil {
		return err
	}
	got, err = udpRequest(p.uDaytime, []byte("x"))
	if err != nil {
		return err
	}
	if !bytes.Contains(got, []byte(strconv.Itoa(time.Now().Year()))) {
		return fail("mismatch", "udp daytime %q", got)
	}
	if err := checkTime(udpRequest(p.uTime, []byte("x"))); err != nil {
		return err
	}
	got, err = udpRequest(p.uChargen, []byte("x"))
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return fail("short", "udp chargen: empty")
	}
	return nil
}

func (s *soak) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: s.pki.pool, Certificates: []tls.Certificate{s.pki.client},
		ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func (s *soak) tlsGood() error {
	c, err := dialFrom("", addr(s.ports.tls))
	if err != nil {
		return err
	}
	defer c.Close()
	tc := tls.Client(c, s.tlsConfig())
	if err := tc.Handshake(); err != nil {
		if classify(err) == "other" {
			return fail("tls", "%v", err)
		}
		return err
	}
	in := payload()
	if _, err := tc.Write(in); err != nil {
		return err
	}
	tc.CloseWrite()
	got, err := io.ReadAll(tc)
	return s.checkProbe("tls", got, err, len(in), "127.0.0.1", "CN=soak-client")
}

func proxyV2(src string, port int) []byte {
	b := []byte("\r\n\r\n\x00\r\nQUIT\n")
	b = append(b, 0x21, 0x21) // v2 PROXY, TCP over IPv6
	b = binary.BigEndian.AppendUint16(b, 36)
	b = append(b, net.ParseIP(src).To16()...)
	b = append(b, net.ParseIP("::1").To16()...)
	b = binary.BigEndian.AppendUint16(b, uint16(port))
	b = binary.BigEndian.AppendUint16(b, 80)
	return b
}

// pace is the pause between two attempts of the kinds that would
// otherwise swamp the mix: a wait service's child answers them without
// ginetd.
var pace = map[string]time.Duration{"wait-tcp": 5 * time.Millisecond, "wait-udp": 5 * time.Millisecond}

// runGood runs one well-behaved kind until ctx ends.
func (s *soak) runGood(ctx context.Context, kind string, f func() error) {
	for ctx.Err() == nil {
		time.Sleep(pace[kind])
		s.t.conns.Add(1)
		seq := s.upgradeSeq.Load()
		err := f()
		if err == nil {
			s.t.good.Add(1)
			s.t.add(kind, "ok")
			continue
		}
		cause := classify(err)
		if ctx.Err() != nil && cause == "timeout" {
			return // cut short by the end of the run
		}
		s.t.example(kind+" "+cause, fmt.Sprintf("%s (%s)", err, s.phase()))
		if seq != s.upgradeSeq.Load() || seq%2 == 1 {
			// The attempt overlapped an upgrade: counted on its own
			// (the "upgrade-cut" target), by kind.
			s.t.upgradeCut.Add(1)
			s.t.add(kind, "UPGRADE-CUT "+cause)
			continue
		}
		if s.known[kind] {
			s.t.knownBad.Add(1)
			s.t.add(kind, "KNOWN "+cause)
		} else {
			s.t.bad.Add(1)
			s.t.add(kind, "FAIL "+cause)
			if cause == "refused" && s.inTransition() {
				s.t.refusedInTransition.Add(1)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Misbehaving clients. Their outcomes are counted, never failures: what
// matters is that the well-behaved clients around them keep being served
// and nothing leaks.

// streamTargets are the services misbehaving clients pick from.
func (s *soak) streamTargets() []string {
	p := s.ports
	var t []string
	for _, n := range []int{p.execEcho, p.probe, p.waitTCP, p.proxy, p.tls, p.redirect, p.perSource,
		p.instances, p.denied, p.tcpmux, p.echo, p.discard, p.chargen, p.daytime} {
		t = append(t, addr(n))
	}
	return t
}

// openLoopTargets are the services the clients that do not wait for an
// answer (vanish, reset) pick from: streamTargets but s-instances. Each of
// their connections costs s-instances a child while its 3 to 5 instances
// make clients wait in the backlog; at the rate these clients connect
// (about 9 a second on s-instances) and the time a child takes on a
// loaded machine (a tenth to over a second at a load average of 20), the
// backlog grew without bound and the instances clients, queued behind,
// waited past their 10 s (docs/reliability.md, finding 2). ginetd does
// what instances asks there; the clients that wait for their answer
// still pick s-instances.
func (s *soak) openLoopTargets() []string {
	var t []string
	for _, a := range s.streamTargets() {
		if a != addr(s.ports.instances) {
			t = append(t, a)
		}
	}
	return t
}

// headerTargets are the services that read something before starting a
// child: PROXY, TLS and tcpmux.
func (s *soak) headerTargets() []string {
	return []string{addr(s.ports.proxy), addr(s.ports.tls), addr(s.ports.tcpmux)}
}

// partialHeader is the start of what a header service waits for.
func (s *soak) partialHeader(a string) []byte {
	switch a {
	case addr(s.ports.proxy):
		if rand.IntN(2) == 0 {
			return []byte("PROXY TCP4 192.0.2.")
		}
		return []byte("\r\n\r\n\x00\r\nQUIT\n\x21")
	case addr(s.ports.tls):
		return []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01} // a ClientHello cut short
	}
	return []byte("soakpro")
}

// readOutcome reads until the server closes or the deadline: "closed"
// (EOF), "reset", or "held" (the server kept the connection).
// It gives up early when the run ends.
func readOutcome(c net.Conn, d time.Duration) string {
	until := time.Now().Add(d)
	var err error
	for {
		next := time.Now().Add(500 * time.Millisecond)
		if next.After(until) {
			next = until
		}
		c.SetReadDeadline(next)
		_, err = io.Copy(io.Discard, io.LimitReader(c, 1<<20))
		if err == nil || classify(err) != "timeout" || time.Now().After(until) || ending.Load() {
			break
		}
	}
	switch {
	case err == nil:
		return "closed"
	case classify(err) == "timeout":
		return "held"
	case classify(err) == "reset":
		return "reset"
	}
	return "other"
}

// ending is set when the run ends: the clients that hold connections on
// purpose let go.
var ending atomic.Bool

var badKinds = map[string]func(s *soak) string{
	// connect and vanish
	"vanish": func(s *soak) string {
		c, err := dialFrom("", pick(s.openLoopTargets()))
		if err != nil {
			return classify(err)
		}
		c.Close()
		return "done"
	},
	// reset (SO_LINGER 0) after a few bytes or none
	"reset": func(s *soak) string {
		c, err := dialFrom("", pick(s.openLoopTargets()))
		if err != nil {
			return classify(err)
		}
		if rand.IntN(2) == 0 {
			c.Write(payload())
		}
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		c.SetLinger(0)
		c.Close()
		return "done"
	},
	// half-close at once and read whatever comes
	"half-close": func(s *soak) string {
		c, err := dialFrom("", pick(s.streamTargets()))
		if err != nil {
			return classify(err)
		}
		defer c.Close()
		c.CloseWrite()
		return readOutcome(c, 3*time.Second)
	},
	// garbage instead of a header or a request
	"garbage": func(s *soak) string {
		t := s.streamTargets()
		if rand.IntN(2) == 0 {
			t = s.headerTargets()
		}
		c, err := dialFrom("", pick(t))
		if err != nil {
			return classify(err)
		}
		defer c.Close()
		g := make([]byte, 1+rand.IntN(600))
		for i := range g {
			g[i] = byte(rand.IntN(256))
		}
		c.Write(g)
		if rand.IntN(2) == 0 {
			c.CloseWrite()
		}
		return readOutcome(c, 3*time.Second)
	},
	// reset in the middle of a header (PROXY, TLS ClientHello, tcpmux name)
	"reset-mid-header": func(s *soak) string {
		a := pick(s.headerTargets())
		c, err := dialFrom("", a)
		if err != nil {
			return classify(err)
		}
		c.Write(s.partialHeader(a))
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		c.SetLinger(0)
		c.Close()
		return "done"
	},
	// stall in the middle of a header and wait for the server to give up
	"stall-mid-header": func(s *soak) string {
		a := pick(s.headerTargets())
		c, err := dialFrom("", a)
		if err != nil {
			return classify(err)
		}
		defer c.Close()
		c.Write(s.partialHeader(a))
		return readOutcome(c, 15*time.Second)
	},
	// slowloris: one byte of a header every 500 ms
	"slowloris": func(s *soak) string {
		a := pick(s.headerTargets())
		c, err := dialFrom("", a)
		if err != nil {
			return classify(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		h := []byte(strings.Repeat("PROXY TCP4 192.0.2.1 127.0.0.1 1 2 ", 20))
		for i := 0; i < len(h) && !ending.Load(); i++ {
			if _, err := c.Write(h[i : i+1]); err != nil {
				return "cut-after-" + bucket(i)
			}
			time.Sleep(500 * time.Millisecond)
		}
		return "held"
	},
}

var badWorkers = map[string]int{
	"vanish": 1, "reset": 1, "half-close": 1, "garbage": 1,
	"reset-mid-header": 1, "stall-mid-header": 3, "slowloris": 6,
}

func bucket(i int) string {
	switch {
	case i < 4:
		return "0-3B"
	case i < 20:
		return "4-19B"
	}
	return "20B+"
}

func pick(t []string) string { return t[rand.IntN(len(t))] }

func (s *soak) runBad(ctx context.Context, kind string, f func(*soak) string) {
	for ctx.Err() == nil {
		s.t.conns.Add(1)
		s.t.add("bad "+kind, f(s))
		time.Sleep(time.Duration(rand.IntN(10)) * time.Millisecond)
	}
}

// runChurn talks to the services reloads add, remove and move: a refusal
// is expected there, a wrong answer is not.
func (s *soak) runChurn(ctx context.Context) {
	for ctx.Err() == nil {
		i, slot := rand.IntN(churnN), rand.IntN(2)
		s.t.conns.Add(1)
		in := payload()
		got, err := exchange("", addr(s.ports.churn[i][slot]), in)
		switch {
		case err != nil:
			s.t.add("churn", classify(err))
		case len(got) == 0:
			s.t.add("churn", "empty")
		case !bytes.Equal(got, in):
			s.t.bad.Add(1)
			s.t.add("churn", "FAIL mismatch")
		default:
			s.t.add("churn", "ok")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
