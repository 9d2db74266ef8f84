// Package sink owns the destinations of messages: files, named pipes,
// forwarding over UDP and users' terminals. A sink is owned by one goroutine
// (the daemon's dispatcher) and is not safe for concurrent use.
//
// Every sink takes each message as a formatted line (Write) and is told
// when a batch ends (Flush). Only a file buffers; Flush writes its buffer
// and, for a synced file, calls fdatasync(2), so a batch is on disk before
// the next one is read.
//
// Errors are returned to the caller, which reports them; a sink that fails
// keeps trying on later messages (a full disk may get space, a pipe may get
// a reader).
package sink

import "github.com/ginetd/ginetd/internal/syslog/msg"

// Sink is one destination.
type Sink interface {
	// Write takes one message: line is its file line, ending in '\n'.
	// m is nil for the "last message repeated" line.
	Write(line []byte, m *msg.Message) error
	// Flush ends a batch.
	Flush() error
	// Close flushes and releases the sink.
	Close() error
}
