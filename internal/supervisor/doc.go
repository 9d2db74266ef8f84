// Package supervisor owns ginetd's runtime state and the one goroutine that
// touches it: the event loop. It keeps the service table (socket, current
// *config.Service, state), instance and per-source counts, spawn-rate
// windows, the pid → child table and every retry timer, and it reacts to
// events: a socket is readable, a child exited (its pidfd is readable), a
// built-in finished, a configuration is applied, a timer fired, a status or
// stop request arrived.
//
// The loop is a single goroutine locked to its OS thread, blocked in
// epoll_wait on every service socket, every running child's pidfd and an
// eventfd that other goroutines write to after queueing an event. This is
// OpenBSD inetd's one-thread libevent design in Go; it keeps the
// per-connection path free of goroutine hand-offs and signal delivery (see
// PERF-NOTES.md): accept4, a check of the limits, ForkExec, close.
//
// Goroutine inventory (each has an owner that stops it and waits for it):
//   - the loop (Run), owned by the caller of Run, stopped by Stop;
//   - one goroutine per running streaming built-in connection (echo,
//     discard, chargen, tcpmux negotiation), which ends when the client
//     closes or its idle deadline passes and then reports back to the loop.
//
// Signals, configuration parsing and the control socket live in the
// caller; they talk to the loop through Apply, Status and Stop.
package supervisor
