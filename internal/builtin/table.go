package builtin

import (
	"math/rand/v2"
	"net"
	"time"
)

// Mode is how the supervisor runs a built-in.
type Mode int

const (
	// Answer: the supervisor's loop sends Reply's answer at once, as the
	// one write on a freshly accepted stream socket (which it then
	// closes) or as the reply to one datagram. No goroutine, no
	// allocation.
	Answer Mode = iota

	// Loop: the connection stays on the supervisor's loop, a raw
	// non-blocking socket in its epoll set; each read is passed to Reply
	// and its answer written back, waiting for writability only when the
	// client does not keep up.
	Loop

	// Goroutine: Serve runs on the connection, as a net.Conn, in a
	// goroutine of its own.
	Goroutine

	// Mux: the supervisor's tcpmux (RFC 1078) reads the name of a
	// sub-service in a goroutine and hands the connection to it. The
	// table has no function for it: the sub-services are the
	// supervisor's.
	Mux
)

// Service is one built-in on one socket type: a row of the table, as
// OpenBSD inetd's biltins[].
type Service struct {
	Name   string
	Stream bool // on a stream socket; else on a datagram socket
	Mode   Mode

	// Reply, for Answer and Loop, appends to out the answer to in (the
	// datagram, the bytes just read, or nil for a stream Answer) and
	// reports whether there is one to send.
	Reply func(out, in []byte) ([]byte, bool)

	// Serve, for Goroutine, runs on c until the client closes, an error
	// occurs or the connection is idle for longer than idle. It does not
	// close c.
	Serve func(c net.Conn, idle time.Duration) error
}

// table is every built-in. Adding one is a row here and its function.
var table = [...]Service{
	{Name: "echo", Stream: true, Mode: Loop, Reply: echo},
	{Name: "echo", Mode: Answer, Reply: echo},
	{Name: "discard", Stream: true, Mode: Loop, Reply: discard},
	{Name: "discard", Mode: Answer, Reply: discard},
	{Name: "chargen", Stream: true, Mode: Goroutine, Serve: chargenStream},
	{Name: "chargen", Mode: Answer, Reply: chargenDgram},
	{Name: "daytime", Stream: true, Mode: Answer, Reply: daytime},
	{Name: "daytime", Mode: Answer, Reply: daytime},
	{Name: "time", Stream: true, Mode: Answer, Reply: machtime},
	{Name: "time", Mode: Answer, Reply: machtime},
	{Name: "tcpmux", Stream: true, Mode: Mux},
}

// Lookup returns the built-in name on a stream (stream true) or datagram
// socket, or nil when there is none.
func Lookup(name string, stream bool) *Service {
	for i := range table {
		if table[i].Name == name && table[i].Stream == stream {
			return &table[i]
		}
	}
	return nil
}

// Known reports whether name is a built-in on any socket type.
func Known(name string) bool {
	return Lookup(name, true) != nil || Lookup(name, false) != nil
}

// echo answers what it is given (RFC 862).
func echo(out, in []byte) ([]byte, bool) { return append(out, in...), true }

// discard never answers (RFC 863).
func discard(out, in []byte) ([]byte, bool) { return out, false }

// daytime answers the RFC 867 line.
func daytime(out, in []byte) ([]byte, bool) { return append(out, daytimeNow()...), true }

// machtime answers the RFC 868 time.
func machtime(out, in []byte) ([]byte, bool) { return append(out, Time(time.Now())...), true }

// chargenDgram answers a datagram with one chargen line (RFC 864 asks for
// a random number, 0 to 512, of characters; like the BSDs, send one line
// from a rotating start).
func chargenDgram(out, in []byte) ([]byte, bool) {
	return chargenLine(out, rand.IntN(len(ring))), true
}
