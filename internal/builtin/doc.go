// Package builtin owns the services ginetd answers itself, without a child
// process: echo (RFC 862), discard (RFC 863), chargen (RFC 864), daytime
// (RFC 867), time (RFC 868) and the protocol side of tcpmux (RFC 1078).
//
// It offers three shapes, matching how the supervisor runs them:
//   - Respond answers a one-shot stream service (daytime, time) with a
//     single write on the freshly accepted raw descriptor, inline on the
//     supervisor's thread: no goroutine, no allocation.
//   - Serve runs a streaming service (echo, discard, chargen) on a
//     net.Conn in its own goroutine, with an idle deadline.
//   - Reply computes the answer to one datagram; BadSource is the
//     anti-reflection check every UDP request passes first.
//
// The package keeps no state besides the once-a-second cache of the
// daytime line.
package builtin
