// Package listen owns ginetd's service sockets as raw file descriptors:
// opening them (tcp, udp, unix; IPV6_V6ONLY; SO_REUSEADDR; backlog; unix
// socket mode and stale-path removal), accepting on them, and turning
// kernel socket addresses into netip values.
//
// Sockets are raw descriptors rather than net.Listener values on purpose:
// the supervisor waits on every socket at once in one epoll set, hands the
// very same descriptor to a child (wait services) and accepts with
// accept4(2) straight into a blocking descriptor for the child, which is
// what a C program started by an inetd expects. net.Conn would add ten
// system calls per connection (docs/benchmarks.md) and make the shared file
// description non-blocking.
//
// It also holds the descriptor mechanisms around them: the one
// close-on-exec dup (DupCloexec) and the hand-over of a net.Conn's socket
// to a child (TakeConn), and, for datagram nowait services, sealing a
// socket against further datagrams (Seal) and listing whose datagrams
// are queued on it (QueuedSenders).
//
// The package decides nothing: it neither knows configuration syntax nor
// applies policy.
package listen
