//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// defaultSyslogPaths are tried in order when LogOptions.Path is empty.
var defaultSyslogPaths = []string{"/dev/log", "/var/run/log"}

// congestedFor is how long, after a write timed out, later writes do not
// wait at all for a syslog daemon that is not reading.
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

	mu        sync.Mutex
	conn      net.Conn // nil when not connected
	stream    bool     // conn is SOCK_STREAM: messages end in '\n'
	lost      bool     // the unreachable notice was given for this outage
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
func (w *syslogWriter) send(pri int, stamp, tag, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.perror {
		fmt.Fprintf(w.stderr, "%s: %s\n", tag, msg)
	}
	line := fmt.Sprintf("<%d>%s %s: %s", pri, stamp, tag, msg)
	err := w.write(line)
	if err == nil {
		w.lost = false
		return
	}
	if !w.lost {
		w.lost = true
		notice := fmt.Sprintf("%s: syslog unreachable, messages are lost until it is back: %v", tag, err)
		if w.perror {
			fmt.Fprintln(w.stderr, notice)
		} else if w.notice != nil {
			fmt.Fprintln(w.notice, notice)
		}
		if w.cons {
			w.toConsole(notice)
		}
	}
	if w.cons {
		w.toConsole(line[len(fmt.Sprintf("<%d>", pri)):])
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
		b := []byte(line)
		if w.stream {
			b = append(b, '\n')
		}
		deadline := time.Now().Add(w.timeout)
		if time.Now().Before(w.congested) {
			deadline = time.Now() // try, but do not wait
		}
		w.conn.SetWriteDeadline(deadline)
		_, err = w.conn.Write(b)
		if err == nil {
			return nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			w.congested = time.Now().Add(congestedFor)
			return fmt.Errorf("syslog %s: not reading: %w", w.conn.RemoteAddr(), err)
		}
		// The daemon went away (ECONNREFUSED, ENOTCONN, EPIPE...):
		// connect again, to the new socket if it restarted.
		w.conn.Close()
		w.conn = nil
	}
	return err
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
