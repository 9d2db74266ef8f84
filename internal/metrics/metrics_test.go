package metrics

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/ginetd/ginetd/internal/spawn"
	"github.com/ginetd/ginetd/internal/supervisor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scrape fetches h's text output and parses it.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("scrape: Content-Type %q", ct)
	}
	return parse(t, rec.Body)
}

func parse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return fams
}

// find returns the metric of family name whose labels are exactly labels
// ("k=v" pairs), or nil.
func find(fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	want := map[string]string{}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		want[k] = v
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, lp := range m.GetLabel() {
			if v, ok := want[lp.GetName()]; !ok || v != lp.GetValue() {
				continue next
			}
		}
		return m
	}
	return nil
}

// value returns the value of a counter or gauge, failing if it is absent.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	m := find(fams, name, labels...)
	switch {
	case m == nil:
		t.Fatalf("%s%v: no such series", name, labels)
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s%v: neither counter nor gauge", name, labels)
	return 0
}

func expect(t *testing.T, fams map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
	t.Helper()
	if got := value(t, fams, name, labels...); got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

func TestObserver(t *testing.T) {
	m := New()
	o := m.Observer()
	const day, echo = "daytime/tcp4", "echo/tcp6"

	o.State(day, supervisor.Listening)
	for _, lat := range []time.Duration{40 * time.Microsecond, time.Millisecond, 30 * time.Millisecond} {
		o.Accepted(day)
		o.Spawned(day, lat)
	}
	o.Running(day, 1)
	o.Running(day, 2)
	o.Running(day, 3)
	o.Accepted(day)
	o.SpawnFailed(day)
	o.Refused(day, "hosts_access /etc/hosts.deny:3")
	o.Refused(day, "hosts_access /etc/hosts.deny:7")
	o.Refused(day, "cps")
	o.Refused(echo, "only_from")
	o.Exited(day, spawn.Status{Exited: true, Code: 0}, 2*time.Second)
	o.Exited(day, spawn.Status{Exited: true, Code: 3}, 500*time.Millisecond)
	o.Exited(day, spawn.Status{Signal: syscall.SIGKILL}, 250*time.Millisecond)
	o.Running(day, 0)
	o.State(day, supervisor.Full)
	o.State(day, supervisor.Listening)
	o.State(day, supervisor.Looping)
	o.State(echo, supervisor.Waiting)
	o.State(echo, "") // removed at reload
	m.ReloadDone(true)
	m.ReloadDone(false)
	m.ReloadDone(true)

	fams := scrape(t, m.Handler())
	const conns = "ginetd_connections_total"
	expect(t, fams, 4, conns, "service="+day, "result=accepted", "reason=")
	expect(t, fams, 1, conns, "service="+day, "result=spawn_failed", "reason=")
	expect(t, fams, 2, conns, "service="+day, "result=refused", "reason=hosts_access")
	expect(t, fams, 1, conns, "service="+day, "result=refused", "reason=cps")
	expect(t, fams, 1, conns, "service="+echo, "result=refused", "reason=only_from")
	expect(t, fams, 0, conns, "service="+echo, "result=accepted", "reason=")
	if n := len(fams[conns].GetMetric()); n != 7 {
		t.Errorf("%s: %d series, want 7", conns, n)
	}

	expect(t, fams, 0, "ginetd_running_instances", "service="+day)

	h := find(fams, "ginetd_spawn_latency_seconds", "service="+day).GetHistogram()
	if h.GetSampleCount() != 3 {
		t.Errorf("spawn latency count %d, want 3", h.GetSampleCount())
	}
	if s, want := h.GetSampleSum(), 0.031040; s < want-1e-9 || s > want+1e-9 {
		t.Errorf("spawn latency sum %v, want %v", s, want)
	}
	wantCum := map[float64]uint64{25e-6: 0, 50e-6: 1, 800e-6: 1, 1.6e-3: 2, 25.6e-3: 2, 51.2e-3: 3, 102.4e-3: 3}
	for _, b := range h.GetBucket() {
		if want, ok := wantCum[b.GetUpperBound()]; ok {
			if b.GetCumulativeCount() != want {
				t.Errorf("spawn latency le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
			}
			delete(wantCum, b.GetUpperBound())
		}
	}
	if len(wantCum) > 0 {
		t.Errorf("spawn latency: buckets %v missing", wantCum)
	}

	expect(t, fams, 1, "ginetd_child_exits_total", "service="+day, "status=success")
	expect(t, fams, 1, "ginetd_child_exits_total", "service="+day, "status=failure")
	expect(t, fams, 1, "ginetd_child_exits_total", "service="+day, "status=signal")
	expect(t, fams, 0, "ginetd_child_exits_total", "service="+echo, "status=signal")
	expect(t, fams, 2.75, "ginetd_child_run_seconds_total", "service="+day)

	for _, st := range states {
		want := 0.0
		if st == supervisor.Looping {
			want = 1
		}
		expect(t, fams, want, "ginetd_service_state", "service="+day, "state="+string(st))
	}
	if n := len(fams["ginetd_service_state"].GetMetric()); n != len(states) {
		t.Errorf("ginetd_service_state: %d series, want %d (echo's are deleted)", n, len(states))
	}

	expect(t, fams, 2, "ginetd_reloads_total", "result=ok")
	expect(t, fams, 1, "ginetd_reloads_total", "result=failed")
	if v := value(t, fams, "ginetd_last_reload_success_timestamp_seconds"); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last reload timestamp %v", v)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_open_fds", "process_start_time_seconds"} {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}

	// The service comes back after the reload: its state series too.
	o.State(echo, supervisor.Listening)
	fams = scrape(t, m.Handler())
	expect(t, fams, 1, "ginetd_service_state", "service="+echo, "state=listening")
	expect(t, fams, 0, "ginetd_service_state", "service="+echo, "state=waiting")
	expect(t, fams, 1, "ginetd_service_state", "service="+day, "state=looping")
}

// TestReasonCap: a service's distinct refusal reasons are bounded.
func TestReasonCap(t *testing.T) {
	m := New()
	o := m.Observer()
	for i := range maxReasons + 8 {
		o.Refused("x/tcp", fmt.Sprintf("reason-%d", i))
	}
	o.Refused("x/tcp", "reason-1")
	o.Refused("x/tcp", "")
	fams := scrape(t, m.Handler())
	if n := len(fams["ginetd_connections_total"].GetMetric()); n != maxReasons+1+2 {
		t.Errorf("%d series, want %d", n, maxReasons+1+2)
	}
	expect(t, fams, 2, "ginetd_connections_total", "service=x/tcp", "result=refused", "reason=reason-1")
	expect(t, fams, 9, "ginetd_connections_total", "service=x/tcp", "result=refused", "reason=other")
}

// TestObserverAllocs: a connection's events do not allocate once the
// service is known.
func TestObserverAllocs(t *testing.T) {
	o := New().Observer()
	const svc = "daytime/tcp4"
	st := spawn.Status{Exited: true}
	connection(o, svc, st)
	if n := testing.AllocsPerRun(1000, func() { connection(o, svc, st) }); n != 0 {
		t.Errorf("%v allocations per connection, want 0", n)
	}
}

// connection is what the supervisor reports for one connection to a
// nowait service.
func connection(o supervisor.Observer, svc string, st spawn.Status) {
	o.Accepted(svc)
	o.Running(svc, 1)
	o.Spawned(svc, 300*time.Microsecond)
	o.Exited(svc, st, 3*time.Millisecond)
	o.Running(svc, 0)
}

// syncBuffer is a log sink for the Serve goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestServe(t *testing.T) {
	m := New()
	m.ReloadDone(false)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	c, err := Serve("127.0.0.1:0", m, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	match := regexp.MustCompile(`msg=metrics addr=(127\.0\.0\.1:\d+)`).FindStringSubmatch(logs.String())
	if match == nil {
		t.Fatalf("no metrics addr= in the log: %q", logs.String())
	}
	addr := match[1]
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("logged the unbound address %s", addr)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	fams := parse(t, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	expect(t, fams, 1, "ginetd_reloads_total", "result=failed")
	expect(t, fams, 0, "ginetd_reloads_total", "result=ok")

	resp, err = client.Get("http://" + addr + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /nothing: %s", resp.Status)
	}

	client.CloseIdleConnections()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c.Close() // twice is harmless
	if _, err := client.Get("http://" + addr + "/metrics"); err == nil {
		t.Error("still serving after Close")
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged: %s", logs.String())
	}
}

func TestServeBadAddr(t *testing.T) {
	if c, err := Serve("127.0.0.1:notaport", New(), slog.New(slog.DiscardHandler)); err == nil {
		c.Close()
		t.Fatal("no error")
	}
}

// BenchmarkObserverConnection is the per-connection hot path as the brief
// states it: Accepted, Spawned and Exited.
func BenchmarkObserverConnection(b *testing.B) {
	o := New().Observer()
	const svc = "daytime/tcp4"
	for _, s := range []string{"echo/tcp4", "chargen/tcp4", "discard/tcp4", "time/tcp4"} {
		o.State(s, supervisor.Listening)
	}
	st := spawn.Status{Exited: true}
	b.ReportAllocs()
	for b.Loop() {
		o.Accepted(svc)
		o.Spawned(svc, 300*time.Microsecond)
		o.Exited(svc, st, 3*time.Millisecond)
	}
}

// BenchmarkObserverConnectionFull adds the two Running updates the
// supervisor makes per connection (acquire and release).
func BenchmarkObserverConnectionFull(b *testing.B) {
	o := New().Observer()
	const svc = "daytime/tcp4"
	st := spawn.Status{Exited: true}
	b.ReportAllocs()
	for b.Loop() {
		connection(o, svc, st)
	}
}

// BenchmarkObserverInterleaved: connections to four services in turn, each
// event with its own copy of the label (the supervisor builds the label
// for every call), so that the last-service cache compares bytes and
// misses on every connection's first event.
func BenchmarkObserverInterleaved(b *testing.B) {
	o := New().Observer()
	var names [4][3]string
	for i, s := range []string{"daytime/tcp4", "echo/tcp4", "chargen/tcp6", "discard/tcp4"} {
		for j := range names[i] {
			names[i][j] = strings.Clone(s)
		}
	}
	st := spawn.Status{Exited: true}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n := &names[i%len(names)]
		o.Accepted(n[0])
		o.Spawned(n[1], 300*time.Microsecond)
		o.Exited(n[2], st, 3*time.Millisecond)
		i++
	}
}
