// Package sink owns the destinations of messages: files, named pipes,
// forwarding over UDP and users' terminals. A sink is owned by one goroutine
// (the daemon's dispatcher) and is not safe for concurrent use.
//
// Every sink takes each message as a formatted line (Write) and is told
// when a batch ends (Flush). Only a file buffers; Flush writes its buffer
// and, for a synced file, calls fdatasync(2), so a batch is on disk before
// the next one is read.
//
// Errors are returned to the caller, which reports them and counts the
// lines lost: the line written, or as many as a *Dropped says. A sink that
// fails keeps trying on later messages (a full disk may get space, a pipe
// may get a reader); a file that failed for space waits until statfs(2)
// shows room (see File.Flush). A line is never left cut in a file.
package sink

import "github.com/ginetd/ginetd/internal/syslog/msg"

// Sink is one destination.
type Sink interface {
	// Write takes one message: line is its file line, ending in '\n'.
	// m is nil for the "last message repeated" line. An error means
	// the line is lost, unless it is a *Dropped, which says how many
	// lines were.
	Write(line []byte, m *msg.Message) error
	// Flush ends a batch; an error says, as a *Dropped, how many lines
	// were lost.
	Flush() error
	// Close flushes and releases the sink.
	Close() error
}
