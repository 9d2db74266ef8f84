package main

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// clientGroup is a set of connections that clients opened and holds.
type clientGroup struct {
	n       int
	release chan struct{}

	mu     sync.Mutex
	served int // echoed (or, silent, connected)
	done   int // closed after release
	errs   []error
}

var (
	groupsMu sync.Mutex
	groups   = map[*testscript.TestScript]map[string]*clientGroup{}
)

// clients start [-silent] NAME N ADDR: N TCP clients (unix stream ones
// when ADDR is a path) in the background,
// each sending "x" and reading one byte back (-silent: sending nothing),
// then holding its connection until "clients release NAME".
// clients served NAME MIN: wait (60 s) until at least MIN were served.
// clients release NAME: close the served ones; the others close as soon
// as they are served.
// clients wait NAME: wait (60 s) until every client was served and closed.
func cmdClients(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: clients start|served|release|wait ...")
	}
	groupsMu.Lock()
	byName := groups[ts]
	if byName == nil {
		byName = map[string]*clientGroup{}
		groups[ts] = byName
		ts.Defer(func() {
			groupsMu.Lock()
			for _, g := range groups[ts] {
				g.free()
			}
			delete(groups, ts)
			groupsMu.Unlock()
		})
	}
	groupsMu.Unlock()
	switch args[0] {
	case "start":
		args = args[1:]
		silent := len(args) > 0 && args[0] == "-silent"
		if silent {
			args = args[1:]
		}
		if len(args) != 3 {
			ts.Fatalf("usage: clients start [-silent] NAME N ADDR")
		}
		n := scripttest.Count(ts, "clients start", "N", args[1], 1)
		g := &clientGroup{n: n, release: make(chan struct{})}
		groupsMu.Lock()
		byName[args[0]] = g
		groupsMu.Unlock()
		for i := 0; i < n; i++ {
			go g.client(args[2], silent)
		}
		return
	}
	groupsMu.Lock()
	g := byName[args[1]]
	groupsMu.Unlock()
	if g == nil {
		ts.Fatalf("clients: no group %s", args[1])
	}
	switch args[0] {
	case "served":
		scripttest.Args(ts, args, 3, 3, "clients served NAME MIN")
		min := scripttest.Count(ts, "clients served", "MIN", args[2], 1)
		served := g.await(60*time.Second, func() bool { return g.served >= min })
		ts.Logf("clients %s: %d of %d served", args[1], served, g.n)
		if served < min {
			ts.Fatalf("clients %s: %d served, want at least %d; errors: %v", args[1], served, min, g.errors())
		}
	case "release":
		g.free()
	case "wait":
		g.await(60*time.Second, func() bool { return g.done+len(g.errs) >= g.n })
		g.mu.Lock()
		done := g.done
		g.mu.Unlock()
		if done != g.n {
			ts.Fatalf("clients %s: %d of %d served and closed; errors: %v", args[1], done, g.n, g.errors())
		}
	default:
		ts.Fatalf("clients: unknown subcommand %s", args[0])
	}
}

func (g *clientGroup) free() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

// await polls cond under g.mu until it holds or d passes; it returns the
// number served.
func (g *clientGroup) await(d time.Duration, cond func() bool) int {
	deadline := time.Now().Add(d)
	for {
		g.mu.Lock()
		ok, served := cond(), g.served
		g.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return served
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (g *clientGroup) errors() []error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.errs) > 3 {
		return append(g.errs[:3:3], fmt.Errorf("and %d more", len(g.errs)-3))
	}
	return g.errs
}

func (g *clientGroup) client(addr string, silent bool) {
	fail := func(err error) {
		g.mu.Lock()
		g.errs = append(g.errs, err)
		g.mu.Unlock()
	}
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	c, err := net.DialTimeout(network, addr, 60*time.Second)
	if err != nil {
		fail(err)
		return
	}
	defer c.Close()
	if !silent {
		c.SetDeadline(time.Now().Add(60 * time.Second))
		var b [1]byte
		if _, err := c.Write([]byte("x")); err != nil {
			fail(err)
			return
		}
		if _, err := c.Read(b[:]); err != nil {
			fail(err)
			return
		}
	}
	g.mu.Lock()
	g.served++
	g.mu.Unlock()
	<-g.release
	c.Close()
	g.mu.Lock()
	g.done++
	g.mu.Unlock()
}
