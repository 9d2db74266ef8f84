// Package msg owns the syslog message: its parsing from the wire (RFC 3164,
// RFC 5424 and /dev/kmsg records), the facility and severity names, and its
// two output shapes, the traditional file line
//
//	Mmm dd hh:mm:ss HOST TAG[PID]: MESSAGE
//
// and the RFC 3164 datagram used for forwarding.
//
// Everything here is pure: no I/O, no clocks (the caller passes the receive
// time), no goroutines. Parsing never fails: what cannot be understood is
// kept as the message text, so nothing received is lost (see Parse).
//
// Parsed messages alias the buffer they were parsed from; the caller owns
// that buffer and must keep it unchanged while the Message is in use.
package msg
