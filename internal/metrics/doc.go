// Package metrics exports ginetd's numbers in the Prometheus text format
// (the -metrics flag of ginetd(8)).
//
// New makes a Metrics with its own registry (no global state); Observer
// gives the supervisor its event sink; ReloadDone counts reloads; Handler
// serves the registry and Serve runs it on an address at /metrics.
//
// # Metrics
//
//	ginetd_connections_total{service,result,reason}   counter
//	    result="accepted"      a connection passed every check (reason="")
//	    result="refused"       a connection was refused; reason is why:
//	                           sensor, sensor-trip, only_from, no_access,
//	                           access_times, hosts_access, cps, max_load,
//	                           per-source, per-source-rate, ... (the rule
//	                           of a hosts_access refusal is not a label)
//	    result="spawn_failed"  a child could not be started (reason=""); for
//	                           a nowait service that connection was counted
//	                           as accepted too, so sum over result is not
//	                           the number of connections
//	ginetd_running_instances{service}                 gauge
//	    children and built-in handlers running now
//	ginetd_spawn_latency_seconds{service}             histogram
//	    from accept to the child's exec; buckets 25µs·2^k, 25µs to 102.4ms
//	ginetd_child_exits_total{service,status}          counter
//	    status="success" (exit 0), "failure" (exit non-zero), "signal"
//	ginetd_child_run_seconds_total{service}           counter
//	    total lifetime of the children that exited (divide by exits for
//	    the mean)
//	ginetd_service_state{service,state}               gauge
//	    a state set: 1 for the current state, 0 for every other (listening,
//	    waiting, full, looping, bind-retry, paused, closed); the series of a
//	    service removed at reload are deleted
//	ginetd_reloads_total{result}                      counter
//	    result="ok" or "failed"
//	ginetd_last_reload_success_timestamp_seconds      gauge
//	    time of the last successful reload (0: none yet)
//	go_*, process_*                                   the Go runtime and
//	                                                  process collectors
//
// The service label is the supervisor's ("daytime/tcp4"). Counters of a
// removed service stay, so that rates across a reload remain correct.
//
// # Cost
//
// The supervisor calls its Observer on its event loop, once per event, on
// the path of every connection. The observer returned by Observer resolves
// each service's label children once and keeps them in a map that only
// the calling goroutine touches; an event is then a map lookup and an
// atomic add (see BenchmarkObserverConnection: Accepted, Spawned and
// Exited together take well under a microsecond and do not allocate).
package metrics
