package sink

import (
	"bufio"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// FileMode is the mode of a log file gsyslogd creates.
const FileMode = 0o640

const fileBuffer = 64 << 10

// fileFlags open a file action. O_NOCTTY: a terminal named as a file
// (/dev/console, /dev/tty1) never becomes gsyslogd's controlling terminal,
// which would send it the terminal's SIGHUP and SIGINT. O_NONBLOCK: a
// stopped terminal or a full pipe never stalls the daemon; the line is
// dropped and reported instead. On a regular file O_NONBLOCK does nothing.
const fileFlags = unix.O_WRONLY | unix.O_APPEND | unix.O_CREAT | unix.O_NOCTTY | unix.O_NONBLOCK | unix.O_CLOEXEC

// File appends to a log file. A regular file is written through a buffer
// that Flush writes out; a terminal, named pipe or other device gets each
// line at once, without blocking.
type File struct {
	path  string
	sync  bool
	fd    int
	w     *bufio.Writer // nil unless the file is a regular file
	dirty bool
}

// OpenFile opens (creating it if needed) the file path for appending. With
// sync, Flush calls fdatasync(2) on a regular file. A named pipe is opened
// as OpenFifo opens one, so the open never waits for a reader.
func OpenFile(path string, sync bool) (*File, error) {
	fd, err := unix.Open(path, fileFlags, FileMode)
	if err == unix.ENXIO {
		// A named pipe without a reader (O_WRONLY|O_NONBLOCK refuses it):
		// read-write, as |PATH, keeps lines in the pipe until one comes.
		fd, err = unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	s := &File{path: path, sync: sync, fd: fd}
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		s.w = bufio.NewWriterSize(fdWriter(fd), fileBuffer)
	}
	return s, nil
}

// Write buffers line, or writes it at once to a terminal or pipe.
func (s *File) Write(line []byte, _ *msg.Message) error {
	if s.w == nil {
		return writeLine(s.fd, s.path, line)
	}
	s.dirty = true
	if _, err := s.w.Write(line); err != nil {
		s.w.Reset(fdWriter(s.fd)) // drop what cannot be written rather than wedge
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

// Flush writes the buffer, then syncs a synced file.
func (s *File) Flush() error {
	if !s.dirty {
		return nil
	}
	s.dirty = false
	if err := s.w.Flush(); err != nil {
		s.w.Reset(fdWriter(s.fd))
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if s.sync {
		if err := unix.Fdatasync(s.fd); err != nil {
			return fmt.Errorf("fdatasync %s: %w", s.path, err)
		}
	}
	return nil
}

// Close flushes and closes the file.
func (s *File) Close() error {
	err := s.Flush()
	if cerr := unix.Close(s.fd); err == nil && cerr != nil {
		err = &os.PathError{Op: "close", Path: s.path, Err: cerr}
	}
	return err
}

// fdWriter writes to a regular file's descriptor, all of p or an error.
type fdWriter int

func (fd fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(int(fd), p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, unix.EIO
		}
		n += m
	}
	return n, nil
}

// writeLine writes line to a terminal or pipe opened with O_NONBLOCK,
// never waiting: what does not fit now (a full pipe, a terminal whose
// output is stopped or not read) is dropped, and reported.
func writeLine(fd int, path string, line []byte) error {
	n := 0
	for n < len(line) {
		m, err := unix.Write(fd, line[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil && n == 0:
			return fmt.Errorf("write %s: %w", path, err)
		case err != nil || m == 0:
			return fmt.Errorf("write %s: %d of %d bytes written, the rest dropped", path, n, len(line))
		}
		n += m
	}
	return nil
}
