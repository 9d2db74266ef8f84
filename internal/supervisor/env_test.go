package supervisor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/spawn"
)

// The test environment, after cloudflare/tableflip's testEnv: the real
// supervisor, its real event loop, real loopback sockets and real
// children, with two things injected. The clock moves only when the test
// advances it, so that a limit, a pause or a back-off is checked at the
// instant before and the instant it ends, in milliseconds of real time.
// What the supervisor does is recorded (its Observer events and log
// lines) as one stream of events, so that the test waits for the event
// itself rather than sleeping or polling.

// fakeClock is an access.Clock that moves only when the test says so.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is the supervisor's Observer and the handler of its logger: it
// keeps every event as one line ("accepted daytime/tcp4", "log looping
// svc=... max=2 ..."), in order.
type recorder struct {
	mu      sync.Mutex
	events  []string
	changed chan struct{} // closed and replaced at each event
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) Accepted(svc string)                 { r.add("accepted %s", svc) }
func (r *recorder) Refused(svc, reason string)          { r.add("refused %s %s", svc, reason) }
func (r *recorder) SpawnFailed(svc string)              { r.add("spawn-failed %s", svc) }
func (r *recorder) Spawned(svc string, _ time.Duration) { r.add("spawned %s", svc) }
func (r *recorder) Exited(svc string, st spawn.Status, _ time.Duration) {
	r.add("exited %s %s", svc, st)
}
func (r *recorder) State(svc string, st State) {
	if st == "" {
		r.add("gone %s", svc)
		return
	}
	r.add("state %s %s", svc, st)
}
func (r *recorder) Running(svc string, n int) { r.add("running %s %d", svc, n) }

// The slog.Handler side: "log MSG k=v k=v".
func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString("log ")
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.add("%s", b.String())
	return nil
}

// testEnv is a running supervisor on a fake clock.
type testEnv struct {
	t      *testing.T
	sup    *Supervisor
	clock  *fakeClock
	rec    *recorder
	cursor int // events before it have been waited for
}

// eventWait bounds every wait for an event; it is a failure bound only.
const eventWait = 10 * time.Second

func newTestEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	rec := newRecorder()
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	opts.Log = slog.New(rec)
	opts.Observer = rec
	sup, err := newSupervisor(opts, clock)
	if err != nil {
		t.Fatal(err)
	}
	go sup.Run()
	t.Cleanup(sup.Stop)
	return &testEnv{t: t, sup: sup, clock: clock, rec: rec}
}

// advance moves the clock by d and runs, on the loop, the timers that
// made due, as the loop does after a round of events. When it returns
// they have run.
func (e *testEnv) advance(d time.Duration) {
	e.t.Helper()
	if !e.sup.call(func(s *Supervisor) {
		e.clock.add(d)
		s.runTimers(s.clock.Now())
	}) {
		e.t.Fatal("supervisor stopped")
	}
}

// await waits for the next event, after those already waited for, that
// starts with prefix, and returns it.
func (e *testEnv) await(prefix string) string {
	e.t.Helper()
	deadline := time.After(eventWait)
	for {
		e.rec.mu.Lock()
		evs, changed := e.rec.events, e.rec.changed
		e.rec.mu.Unlock()
		for i := e.cursor; i < len(evs); i++ {
			if strings.HasPrefix(evs[i], prefix) {
				e.cursor = i + 1
				return evs[i]
			}
		}
		select {
		case <-changed:
		case <-deadline:
			e.t.Fatalf("no event %q within %v; events since the last awaited:\n\t%s",
				prefix, eventWait, strings.Join(evs[e.cursor:], "\n\t"))
		}
	}
}

// none fails if an event starting with prefix came after those already
// waited for. The loop has handled everything queued before the call
// (sync), so it is the event's absence, not its lateness, that is seen.
func (e *testEnv) none(prefix string) {
	e.t.Helper()
	e.sync()
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, ev := range e.rec.events[e.cursor:] {
		if strings.HasPrefix(ev, prefix) {
			e.t.Fatalf("unexpected event %q", ev)
		}
	}
}

// sync returns once the loop has finished a round of events begun after
// the call: a timer due at once runs after every event of its round, so
// a socket that was readable before the call has been handled.
func (e *testEnv) sync() {
	e.t.Helper()
	done := make(chan struct{})
	if !e.sup.send(func(s *Supervisor) { s.after(s.clock.Now(), func() { close(done) }) }) {
		e.t.Fatal("supervisor stopped")
	}
	select {
	case <-done:
	case <-time.After(eventWait):
		e.t.Fatal("the loop did not finish a round")
	}
}

func (e *testEnv) apply(svcs ...*config.Service) Diff {
	e.t.Helper()
	d, err := e.sup.Apply(&config.Config{Services: svcs})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// status returns the status row of the service named name.
func (e *testEnv) status(name string) ServiceStatus {
	e.t.Helper()
	rows, err := e.sup.Status()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rows {
		if r.Name == name {
			return r
		}
	}
	e.t.Fatalf("no service %s in %v", name, rows)
	return ServiceStatus{}
}

// wantState checks name's state now.
func (e *testEnv) wantState(name string, want State) {
	e.t.Helper()
	if st := e.status(name).State; st != want {
		e.t.Fatalf("%s: state %s, want %s", name, st, want)
	}
}

// dial connects to name's address; the connection closes with the test.
func (e *testEnv) dial(name string) net.Conn {
	e.t.Helper()
	c, err := net.Dial("tcp", e.status(name).Addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// readAll reads c to its end, within eventWait.
func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(eventWait))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (after %q)", err, b)
	}
	return string(b)
}

// builtinService is a nowait stream built-in on 127.0.0.1, port 0.
func builtinService(name string) *config.Service {
	return &config.Service{Name: name, ID: name, SockType: config.Stream, Proto: config.TCP4,
		Host: "127.0.0.1", Builtin: name, Umask: -1, MaxRate: config.NoLimit, CPSRate: config.NoLimit}
}

// programService is a nowait stream service on 127.0.0.1, port 0, that
// runs argv (argv[0] an absolute path) as ginetd's own user.
func programService(name string, argv ...string) *config.Service {
	return &config.Service{Name: name, ID: name, SockType: config.Stream, Proto: config.TCP4,
		Host: "127.0.0.1", Program: argv[0], Args: argv, Umask: -1,
		MaxRate: config.NoLimit, CPSRate: config.NoLimit}
}

// echo checks that what c's server reads comes back (cat, echo).
func echo(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if err := echoed(c, s, eventWait); err != nil {
		t.Fatalf("echo %q: %v", s, err)
	}
}
