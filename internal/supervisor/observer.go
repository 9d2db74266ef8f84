package supervisor

import (
	"time"

	"github.com/ginetd/ginetd/internal/spawn"
)

// Observer receives the supervisor's events for metrics. Its methods are
// called on the loop goroutine, once per event, and must not block: count
// and return. svc is the service's label ("daytime/tcp4").
type Observer interface {
	Accepted(svc string)
	Refused(svc, reason string)
	SpawnFailed(svc string)
	// Spawned reports a child started, latency from accept to exec.
	Spawned(svc string, latency time.Duration)
	Exited(svc string, st spawn.Status, ran time.Duration)
	// State reports a service's new state ("" state: the service is gone).
	State(svc string, st State)
	Running(svc string, n int)
}

type nopObserver struct{}

func (nopObserver) Accepted(string)                            {}
func (nopObserver) Refused(string, string)                     {}
func (nopObserver) SpawnFailed(string)                         {}
func (nopObserver) Spawned(string, time.Duration)              {}
func (nopObserver) Exited(string, spawn.Status, time.Duration) {}
func (nopObserver) State(string, State)                        {}
func (nopObserver) Running(string, int)                        {}
