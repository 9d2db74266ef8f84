//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// defaultSyslogPaths are tried in order when LogOptions.Path is empty.
var defaultSyslogPaths = []string{"/dev/log", "/var/run/log"}

// congestedFor is how long, after a write timed out, later writes are
// only tried, not waited for: a syslog daemon that is not reading costs
// one wait a second, not one per message.
const congestedFor = time.Second

// syslogWriter owns the connection to the syslog daemon, shared by a
// SyslogHandler and the handlers derived from it.
type syslogWriter struct {
	paths   []string
	cons    bool
	perror  bool
	stderr  io.Writer
	notice  io.Writer
	console string
	timeout time.Duration
	noWait  bool

	mu        sync.Mutex
	conn      net.Conn // nil when not connected
	stream    bool     // conn is SOCK_STREAM: messages end in '\n'
	pending   []byte   // on a stream, the unsent tail of a started message
	lost      bool     // in an outage: messages are lost, the notice was given
	nlost     uint64   // messages lost in this outage
	congested time.Time
}

func newSyslogWriter(opts LogOptions) *syslogWriter {
	w := &syslogWriter{
		paths:   defaultSyslogPaths,
		cons:    opts.Cons,
		perror:  opts.Perror,
		stderr:  opts.Stderr,
		notice:  opts.Notice,
		console: opts.Console,
		timeout: opts.Timeout,
		noWait:  opts.NoWait,
	}
	if opts.Path != "" {
		w.paths = []string{opts.Path}
	}
	if w.stderr == nil {
		w.stderr = os.Stderr
	}
	if w.console == "" {
		w.console = "/dev/console"
	}
	if w.timeout <= 0 {
		w.timeout = 500 * time.Millisecond
	}
	if opts.NDelay {
		w.mu.Lock()
		w.dial() //nolint:errcheck // reported at the first message
		w.mu.Unlock()
	}
	return w
}

// send delivers one message; header is the timestamp, tag is "TAG[PID]".
// A message that cannot be delivered is counted; the first of an outage
// is reported (tell), and the outage ends when syslog takes the report
// of the count, which goes before the message.
func (w *syslogWriter) send(pri int, stamp, tag, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.perror {
		fmt.Fprintf(w.stderr, "%s: %s\n", tag, msg)
	}
	var err error
	if w.lost {
		report := fmt.Sprintf("syslog is back, %d messages lost", w.nlost)
		warning := pri&^7 | 4
		if err = w.write(fmt.Sprintf("<%d>%s %s: %s", warning, stamp, tag, report)); err == nil {
			w.lost, w.nlost = false, 0
			w.tell(tag + ": " + report)
		}
	}
	line := fmt.Sprintf("<%d>%s %s: %s", pri, stamp, tag, msg)
	if err == nil {
		if err = w.write(line); err == nil {
			return
		}
	}
	w.nlost++
	if !w.lost {
		w.lost = true
		w.tell(fmt.Sprintf("%s: syslog unreachable, messages are lost until it is back: %v", tag, err))
	}
	if w.cons {
		w.toConsole(line[strings.IndexByte(line, '>')+1:])
	}
}

// tell gives an outage notice where LogOptions say.
func (w *syslogWriter) tell(notice string) {
	if w.perror {
		fmt.Fprintln(w.stderr, notice)
	} else if w.notice != nil {
		fmt.Fprintln(w.notice, notice)
	}
	if w.cons {
		w.toConsole(notice)
	}
}

// write sends line, connecting or reconnecting once as needed.
func (w *syslogWriter) write(line string) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if w.conn == nil {
			if err = w.dial(); err != nil {
				return err
			}
		}
		if err = w.flushPending(); err == nil {
			b := []byte(line)
			if w.stream {
				b = append(b, '\n')
			}
			var n int
			n, err = w.writeConn(b)
			if n > 0 && n < len(b) {
				// Started on a stream: the rest goes before any
				// other message, or the daemon would read one line
				// made of two.
				w.pending = append(w.pending[:0], b[n:]...)
				err = nil
			}
			if err == nil {
				return nil
			}
		}
		if congested(err) {
			return fmt.Errorf("syslog %s: not reading: %w", w.conn.RemoteAddr(), err)
		}
		// The daemon went away (ECONNREFUSED, ENOTCONN, EPIPE...):
		// connect again, to the new socket if it restarted.
		w.conn.Close()
		w.conn, w.pending = nil, nil
	}
	return err
}

// close closes the connection, if any.
func (w *syslogWriter) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		return nil
	}
	err := w.conn.Close()
	w.conn, w.pending = nil, nil
	return err
}

// congested reports whether err says the daemon is there but not reading.
func congested(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, os.ErrDeadlineExceeded)
}

// flushPending writes what is left of a message started on a stream.
func (w *syslogWriter) flushPending() error {
	if len(w.pending) == 0 {
		return nil
	}
	n, err := w.writeConn(w.pending)
	w.pending = w.pending[n:]
	return err
}

// writeConn writes b, waiting at most the timeout for a daemon that does
// not keep up; with NoWait, or for a while after a wait timed out, not at
// all: what the socket does not take at once is left.
func (w *syslogWriter) writeConn(b []byte) (int, error) {
	if w.noWait || time.Now().Before(w.congested) {
		return writeNow(w.conn, b)
	}
	w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	n, err := w.conn.Write(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		w.congested = time.Now().Add(congestedFor)
	}
	return n, err
}

// writeNow writes what c's socket takes of b without waiting; a full
// socket is EAGAIN. (A write deadline in the past would not even try.)
func writeNow(c net.Conn, b []byte) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	n := 0
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, err := syscall.Write(int(fd), b[n:])
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				werr = os.NewSyscallError("write", err)
				break
			}
			n += m
		}
		return true // done: never wait for the socket
	})
	if err != nil {
		return n, err
	}
	return n, werr
}

// dial connects to the first syslog socket that answers, as a datagram
// socket or else, like glibc, a stream socket.
func (w *syslogWriter) dial() error {
	var first error
	for _, p := range w.paths {
		c, err := net.DialTimeout("unixgram", p, w.timeout)
		if errors.Is(err, syscall.EPROTOTYPE) {
			if c, err = net.DialTimeout("unix", p, w.timeout); err == nil {
				w.conn, w.stream = c, true
				return nil
			}
		}
		if err == nil {
			w.conn, w.stream = c, false
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// toConsole writes s to the console, as LOG_CONS does, without waiting and
// without making it the controlling terminal.
func (w *syslogWriter) toConsole(s string) {
	f, err := os.OpenFile(w.console, os.O_WRONLY|os.O_APPEND|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	f.WriteString(s + "\r\n")
	f.Close()
}
