package metrics

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ginetd/ginetd/internal/spawn"
	"github.com/ginetd/ginetd/internal/supervisor"
)

// Metrics is ginetd's set of metrics and the registry that holds them.
// Its methods are safe for concurrent use; each observer returned by
// Observer is not (see Observer).
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	conns   *prometheus.CounterVec
	running *prometheus.GaugeVec
	latency *prometheus.HistogramVec
	exits   *prometheus.CounterVec
	runSecs *prometheus.CounterVec
	state   *prometheus.GaugeVec

	reloadOK, reloadFailed prometheus.Counter
	lastReload             prometheus.Gauge
}

// Label values.
const (
	resultAccepted    = "accepted"
	resultRefused     = "refused"
	resultSpawnFailed = "spawn_failed"

	exitSuccess = 0 // index into svcMetrics.exits
	exitFailure = 1
	exitSignal  = 2
)

var exitStatus = [...]string{exitSuccess: "success", exitFailure: "failure", exitSignal: "signal"}

// states are the service states exported as a state set.
var states = [...]supervisor.State{
	supervisor.Listening, supervisor.Waiting, supervisor.Full, supervisor.Looping,
	supervisor.BindRetry, supervisor.Paused, supervisor.Closed,
}

// maxReasons bounds the distinct refusal reasons of one service; further
// ones are counted as "other".
const maxReasons = 32

// SpawnBuckets are the bounds of ginetd_spawn_latency_seconds: 25µs
// doubling to 102.4ms, around the usual 50µs–50ms of a fork and exec.
var SpawnBuckets = prometheus.ExponentialBuckets(25e-6, 2, 13)

// New returns the metrics, registered with a registry of their own along
// with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		conns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginetd_connections_total",
			Help: "Connections by service and result (accepted, refused with a reason, spawn_failed).",
		}, []string{"service", "result", "reason"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ginetd_running_instances",
			Help: "Running children and built-in handlers per service.",
		}, []string{"service"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ginetd_spawn_latency_seconds",
			Help:    "Time from accepting a connection to the child's exec.",
			Buckets: SpawnBuckets,
		}, []string{"service"}),
		exits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginetd_child_exits_total",
			Help: "Children that exited, by status: success (exit 0), failure (exit non-zero) or signal.",
		}, []string{"service", "status"}),
		runSecs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginetd_child_run_seconds_total",
			Help: "Total run time of the children that exited.",
		}, []string{"service"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ginetd_service_state",
			Help: "Service state: 1 for the current state, 0 for the others.",
		}, []string{"service", "state"}),
		lastReload: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ginetd_last_reload_success_timestamp_seconds",
			Help: "Time of the last successful reload, in seconds since the epoch (0: none).",
		}),
	}
	reloads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ginetd_reloads_total",
		Help: "Configuration reloads by result (ok or failed).",
	}, []string{"result"})
	m.reloadOK = reloads.WithLabelValues("ok")
	m.reloadFailed = reloads.WithLabelValues("failed")
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.conns, m.running, m.latency, m.exits, m.runSecs, m.state,
		reloads, m.lastReload,
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
	return m
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler { return m.handler }

// ReloadDone counts a reload: ginetd_reloads_total{result="ok"|"failed"}.
func (m *Metrics) ReloadDone(ok bool) {
	if ok {
		m.reloadOK.Inc()
		m.lastReload.SetToCurrentTime()
	} else {
		m.reloadFailed.Inc()
	}
}

// Observer returns a supervisor.Observer that records into m. It caches
// each service's metric children in a map of its own, without a lock: use
// it from one goroutine at a time, as the supervisor's loop does. Give each
// supervisor its own observer.
func (m *Metrics) Observer() supervisor.Observer {
	return &observer{m: m, svcs: make(map[string]*svcMetrics)}
}

type observer struct {
	m    *Metrics
	svcs map[string]*svcMetrics
	// The last service seen: a connection's events come in a row for one
	// service, and comparing a short label is cheaper than hashing it.
	lastName string
	last     *svcMetrics
}

// svcMetrics are one service's resolved metric children.
type svcMetrics struct {
	accepted    prometheus.Counter
	spawnFailed prometheus.Counter
	refused     map[string]prometheus.Counter // by reason label
	running     prometheus.Gauge
	latency     prometheus.Observer
	exits       [len(exitStatus)]prometheus.Counter
	runSecs     prometheus.Counter
	states      map[supervisor.State]prometheus.Gauge // nil: no series
	cur         supervisor.State
}

// get returns svc's children, resolving them on first sight. Every series
// of the service but the refusal reasons exists from then on, at zero.
func (o *observer) get(svc string) *svcMetrics {
	if o.last != nil && svc == o.lastName {
		return o.last
	}
	if s := o.svcs[svc]; s != nil {
		o.lastName, o.last = svc, s
		return s
	}
	m := o.m
	s := &svcMetrics{
		accepted:    m.conns.WithLabelValues(svc, resultAccepted, ""),
		spawnFailed: m.conns.WithLabelValues(svc, resultSpawnFailed, ""),
		refused:     make(map[string]prometheus.Counter),
		running:     m.running.WithLabelValues(svc),
		latency:     m.latency.WithLabelValues(svc),
		runSecs:     m.runSecs.WithLabelValues(svc),
	}
	for i, st := range exitStatus {
		s.exits[i] = m.exits.WithLabelValues(svc, st)
	}
	o.svcs[svc] = s
	o.lastName, o.last = svc, s
	return s
}

func (o *observer) Accepted(svc string) { o.get(svc).accepted.Inc() }

func (o *observer) SpawnFailed(svc string) { o.get(svc).spawnFailed.Inc() }

func (o *observer) Refused(svc, reason string) {
	s := o.get(svc)
	reason = reasonLabel(reason)
	c := s.refused[reason]
	if c == nil {
		if len(s.refused) >= maxReasons {
			reason = "other"
			c = s.refused[reason]
		}
		if c == nil {
			c = o.m.conns.WithLabelValues(svc, resultRefused, reason)
			s.refused[reason] = c
		}
	}
	c.Inc()
}

// reasonLabel bounds a refusal reason to a label value: the rule that a
// hosts_access refusal names ("hosts_access /etc/hosts.deny:3") is dropped.
func reasonLabel(r string) string {
	if name, _, ok := strings.Cut(r, " "); ok && name == "hosts_access" {
		return name
	}
	if r == "" {
		return "unknown"
	}
	return r
}

func (o *observer) Spawned(svc string, latency time.Duration) {
	o.get(svc).latency.Observe(latency.Seconds())
}

func (o *observer) Exited(svc string, st spawn.Status, ran time.Duration) {
	s := o.get(svc)
	i := exitSignal
	if st.Exited {
		i = exitFailure
		if st.Code == 0 {
			i = exitSuccess
		}
	}
	s.exits[i].Inc()
	if ran > 0 {
		s.runSecs.Add(ran.Seconds())
	}
}

func (o *observer) Running(svc string, n int) { o.get(svc).running.Set(float64(n)) }

// State moves svc's state set to st; the "" state (the service is gone)
// deletes the service's state series.
func (o *observer) State(svc string, st supervisor.State) {
	if st == "" {
		s := o.svcs[svc]
		if s == nil || s.states == nil {
			return
		}
		for name := range s.states {
			o.m.state.DeleteLabelValues(svc, string(name))
		}
		s.states, s.cur = nil, ""
		return
	}
	s := o.get(svc)
	if s.states == nil {
		s.states = make(map[supervisor.State]prometheus.Gauge, len(states))
		for _, name := range states {
			g := o.m.state.WithLabelValues(svc, string(name))
			g.Set(0)
			s.states[name] = g
		}
	}
	if st == s.cur {
		return
	}
	g := s.states[st]
	if g == nil { // a state this package does not know yet
		g = o.m.state.WithLabelValues(svc, string(st))
		s.states[st] = g
	}
	if old := s.states[s.cur]; old != nil {
		old.Set(0)
	}
	g.Set(1)
	s.cur = st
}
