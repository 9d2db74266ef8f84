// Package supervisor owns ginetd's runtime state and the one goroutine that
// touches it: the event loop. It keeps the service table (socket, current
// *config.Service, state), instance and per-source counts, spawn-rate
// windows, the pid → child table, the inline built-in connections and
// every retry timer, and it reacts to events: a socket is readable, a child
// exited, a built-in finished, a configuration is applied, a timer fired,
// a status or stop request arrived.
//
// The loop is a single goroutine, blocked in epoll_wait on every service
// socket, the pidfds of children whose end must be noticed at once, the
// inline echo/discard connections and an eventfd that other goroutines
// write to after queueing an event. This is OpenBSD inetd's one-thread
// libevent design in Go; it keeps the per-connection path free of
// goroutine hand-offs and signal delivery (docs/benchmarks.md): accept4, a
// check of the limits, one clone3 (internal/spawn), close. Other children
// are reaped with wait4(-1, WNOHANG) after each round of events and on a
// backing-off timer while any run.
//
// Goroutine inventory (each has an owner that stops it and waits for it):
//   - the loop (Run), owned by the caller of Run, stopped by Stop or
//     Handover;
//   - one goroutine per connection of chargen, of tcpmux (until the
//     sub-service is chosen), of a redirect (two more, frontdoor.Relay's,
//     relay the bytes), and
//     of the front door (PROXY header, TLS handshake; frontdoor's relay
//     goroutines then belong to the TLS session). Each ends when its
//     client closes, its deadline passes or its socket is closed, and then
//     reports back to the loop with an event.
//
// Signals, configuration parsing and the control socket live in the
// caller; they talk to the loop through Apply, Status, Sockets, Stop and
// Handover.
package supervisor
