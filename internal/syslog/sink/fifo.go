package sink

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// Fifo writes to a named pipe. As sysklogd does, it opens the pipe for
// reading and writing, so the open never waits for a reader and lines are
// kept in the pipe (64 KiB) until one comes. Writes never block: a line
// that does not fit in a full pipe is dropped, and reported.
type Fifo struct {
	path string
	fd   int
}

// OpenFifo opens the named pipe path; it must exist and be a pipe.
func OpenFifo(path string) (*Fifo, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: not a named pipe", path)
	}
	return &Fifo{path: path, fd: fd}, nil
}

// Write writes line whole, or not at all when the pipe is full (see
// writeLine).
func (s *Fifo) Write(line []byte, _ *msg.Message) error {
	return writeLine(s.fd, s.path, line, true)
}

// Flush does nothing: lines are written at once.
func (s *Fifo) Flush() error { return nil }

// Close closes the pipe.
func (s *Fifo) Close() error { return unix.Close(s.fd) }
