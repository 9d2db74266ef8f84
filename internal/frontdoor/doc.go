// Package frontdoor owns what happens on an accepted stream connection
// before ginetd admits it and spawns a child: reading a PROXY protocol
// header from a trusted load balancer, and terminating TLS.
//
// # PROXY protocol
//
// ReadProxy reads a PROXY protocol v1 (text) or v2 (binary) header and
// returns the real client address and the address it connected to, which
// access control, limits, logs and the child's environment then use
// instead of the kernel's. It reads exactly the header and not one byte
// more: on a socket it peeks (MSG_PEEK) and then consumes only the header's
// length, and on any other net.Conn it reads the header in exact-size
// steps. Whatever the client sent after the header therefore stays in the
// kernel's receive queue, and the raw descriptor can be handed to a child
// untouched; there are never extra bytes for the caller to relay.
//
// A header is recognised once its whole signature ("PROXY " for v1, the
// 12-byte binary signature for v2) has arrived; anything else is the
// client's own data. The rules, in order:
//
//   - Required and the kernel peer is not trusted: ErrUntrusted, without
//     reading anything.
//   - A header from a peer that is not trusted: ErrUntrusted.
//   - A malformed or truncated header: ErrMalformed.
//   - No header while Required: ErrMissing (also when nothing arrives within
//     the timeout).
//   - No header and not Required: the kernel addresses, unchanged. When the
//     client sends nothing (server-speaks-first protocols), this costs one
//     Timeout.
//   - v1 UNKNOWN, v2 LOCAL, and v2 families other than TCP/UDP over IPv4
//     and IPv6: the kernel addresses.
//
// # TLS termination
//
// A TLS holds the current *tls.Config for one service; Reload swaps in
// freshly read certificates for new handshakes while open sessions go on.
// Terminate completes the handshake and then relays between the TLS
// connection and one end of an AF_UNIX socketpair whose other end
// (Session.ChildFD) becomes the child's fds 0, 1 and 2, so the child
// speaks plain bytes. Half-close is relayed both ways: the client's
// close_notify or FIN becomes EOF on the child's fd 0, and the child's
// exit or shutdown(SHUT_WR) becomes close_notify followed by FIN. The
// relay ends when both directions are closed, when the child's end is
// closed altogether (the child and every copy of ChildFD are gone; what it
// wrote is still delivered first), on an error on the client's side, or
// on Session.Close. Each direction copies through a pooled 32 KiB buffer.
//
// The relay (Relay) is ginetd's one byte relay: a redirect service
// (StartRelay) relays between its client and the redirect target the same
// way, the target in the child's place.
//
// Goroutines: none for ReadProxy. Two per Session for the relay; both end
// as described above, and Session.Done is closed once they have and every
// descriptor the session created is closed.
package frontdoor
