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

// File appends to a log file.
type File struct {
	path  string
	sync  bool
	f     *os.File
	w     *bufio.Writer
	dirty bool
}

// OpenFile opens (creating it if needed) the file path for appending. With
// sync, Flush calls fdatasync(2).
func OpenFile(path string, sync bool) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, FileMode)
	if err != nil {
		return nil, err
	}
	return &File{path: path, sync: sync, f: f, w: bufio.NewWriterSize(f, fileBuffer)}, nil
}

// Write buffers line.
func (s *File) Write(line []byte, _ *msg.Message) error {
	s.dirty = true
	if _, err := s.w.Write(line); err != nil {
		s.w.Reset(s.f) // drop what cannot be written rather than wedge
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
		s.w.Reset(s.f)
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if s.sync {
		if err := unix.Fdatasync(int(s.f.Fd())); err != nil {
			return fmt.Errorf("fdatasync %s: %w", s.path, err)
		}
	}
	return nil
}

// Close flushes and closes the file.
func (s *File) Close() error {
	err := s.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
