// Package builtin owns the services ginetd answers itself, without a child
// process: echo (RFC 862), discard (RFC 863), chargen (RFC 864), daytime
// (RFC 867), time (RFC 868) and the name of tcpmux (RFC 1078), whose
// protocol the supervisor speaks because its sub-services are the
// supervisor's.
//
// The built-ins are the rows of one table, as OpenBSD inetd's biltins[]:
// a name, a socket type, how the supervisor runs it (Mode) and the
// function that does the work. Lookup finds a row; the configuration
// parsers and the loader ask it which names exist, the supervisor how to
// run one:
//   - Answer: Reply's answer is written at once on the loop, the one
//     write of a stream daytime or time, or the reply to a datagram;
//   - Loop: the connection stays on the loop and Reply maps each read to
//     what is written back (stream echo and discard);
//   - Goroutine: Serve runs on a net.Conn in its own goroutine (stream
//     chargen);
//   - Mux: tcpmux, run by the supervisor.
//
// BadSource is the anti-reflection check every datagram to a built-in
// passes first.
//
// The package keeps no state besides the once-a-second cache of the
// daytime line.
package builtin
