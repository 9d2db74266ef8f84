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
// Goroutine inventory. The loop (Run) is owned by the caller of Run and
// stopped by Stop, which returns once it has ended, or, after Handover,
// by itself once the last connection it serves has ended (Done). Every
// other goroutine serves one connection, off the loop, and is not waited
// for: Stop returns while it runs, and it goes on until it ends by
// itself or the process exits. Each ends when its client closes,
// its deadline passes or its socket is closed; it touches no state of the
// loop's and reports back only through an event, which is dropped once
// the loop has ended. The descriptors it holds count against the
// descriptor budget (goHold, goFree) until then. They are:
//   - one per connection of a Goroutine built-in (chargen: idle deadline,
//     max_lifetime through a timer that closes the connection), and the
//     built-in's own reader of what the client sends (package builtin);
//   - one per tcpmux connection, until the sub-service is named
//     (tcpmuxTimeout);
//   - one per redirect connection, and the two of its relay
//     (frontdoor.Relay);
//   - one per front-door connection (PROXY header, TLS handshake:
//     handshakeTimeout), then one that waits for the TLS session to end,
//     and the session's relay goroutines (package frontdoor);
//   - one per lingering close of a refused connection (lingerTime).
//
// Signals, configuration parsing and the control socket live in the
// caller; they talk to the loop through Apply, Status, Sockets, Stop and
// Handover.
package supervisor
