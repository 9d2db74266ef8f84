package sink

import (
	"bytes"
	"fmt"
	"io"
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

// retryRoom is the free space, beyond the lines waiting, that a file whose
// last write failed for space needs before it is written again: twice
// the longest line (a message of msg.MaxSize, every byte escaped), so a
// disk that frees a few bytes does not bring a file back only to fail at
// its next line.
const retryRoom = 4 * msg.MaxSize

// File appends to a log file. A regular file is written through a buffer
// of whole lines that Flush writes out with one write(2), and a line is
// in the file whole or not at all: see Flush. A terminal, named pipe or
// other device gets each line at once, without blocking.
type File struct {
	path  string
	sync  bool
	fd    int
	reg   bool   // a regular file: lines collect in buf
	pipe  bool   // a named pipe (see writeLine)
	buf   []byte // whole lines not yet written
	lines int    // lines in buf
	full  bool   // a write failed for space: wait for room (see roomFor)
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
	s := &File{path: path, sync: sync, fd: fd, reg: st.Mode&unix.S_IFMT == unix.S_IFREG, pipe: st.Mode&unix.S_IFMT == unix.S_IFIFO}
	return s, nil
}

// Write buffers line, or writes it at once to a terminal or pipe. A full
// buffer is written out first; its error is then Flush's.
func (s *File) Write(line []byte, _ *msg.Message) error {
	if !s.reg {
		return writeLine(s.fd, s.path, line, s.pipe)
	}
	var err error
	if len(s.buf) > 0 && len(s.buf)+len(line) > fileBuffer {
		err = s.writeBuf()
	}
	s.buf = append(s.buf, line...)
	s.lines++
	return err
}

// Flush writes the buffer, then syncs a synced file.
//
// The buffer goes out in one write(2) (more only if the kernel takes part
// of it). When a write fails after part of the buffer went to the file
// (ENOSPC after a short write), the file is truncated back to the end of
// the last whole line written, so that no line is cut; the lines not in
// the file are dropped and counted (*Dropped). After a failure for space
// (ENOSPC, EDQUOT), the file is written again only once statfs(2) shows
// room for the waiting lines and retryRoom more; until then their lines
// are dropped without a write.
func (s *File) Flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	if err := s.writeBuf(); err != nil {
		return err
	}
	if s.sync {
		if err := unix.Fdatasync(s.fd); err != nil {
			return &Dropped{Err: fmt.Errorf("fdatasync %s: %w", s.path, err)}
		}
	}
	return nil
}

// writeBuf writes the buffer out and empties it.
func (s *File) writeBuf() error {
	buf, lines := s.buf, s.lines
	s.buf, s.lines = s.buf[:0], 0
	if s.full && !s.roomFor(len(buf)) {
		return &Dropped{Lines: lines, Err: fmt.Errorf("write %s: %w (waiting for room)", s.path, unix.ENOSPC)}
	}
	n, err := fdWriter(s.fd).Write(buf)
	if err == nil {
		s.full = false
		return nil
	}
	s.full = err == unix.ENOSPC || err == unix.EDQUOT
	whole := bytes.LastIndexByte(buf[:n], '\n') + 1
	err = fmt.Errorf("write %s: %w", s.path, err)
	if whole < n {
		if terr := s.cut(n - whole); terr != nil {
			err = fmt.Errorf("%w; a cut line is left: %v", err, terr)
		}
	}
	return &Dropped{Lines: lines - bytes.Count(buf[:whole], []byte{'\n'}), Err: err}
}

// cut removes the last n bytes written, the start of a line that did not
// fit. With O_APPEND the file offset is the end of what this descriptor
// wrote last, which stays right after a rotation by rename (the file is
// the one written) and is checked against the size in case the file was
// truncated meanwhile (copytruncate): then the bytes are gone already.
func (s *File) cut(n int) error {
	end, err := unix.Seek(s.fd, 0, io.SeekCurrent)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(s.fd, &st); err != nil {
		return err
	}
	if st.Size < end {
		return nil
	}
	return unix.Ftruncate(s.fd, end-int64(n))
}

// roomFor reports whether the file system has room for n bytes and
// retryRoom more, counting the blocks reserved for root when gsyslogd
// runs as root (it can use them).
func (s *File) roomFor(n int) bool {
	var st unix.Statfs_t
	if err := unix.Fstatfs(s.fd, &st); err != nil {
		return true // cannot tell: try the write
	}
	free := st.Bavail
	if os.Geteuid() == 0 {
		free = st.Bfree
	}
	return free*uint64(st.Bsize) >= uint64(n)+retryRoom
}

// Close flushes and closes the file.
func (s *File) Close() error {
	err := s.Flush()
	if cerr := unix.Close(s.fd); err == nil && cerr != nil {
		err = &os.PathError{Op: "close", Path: s.path, Err: cerr}
	}
	return err
}

// Dropped is the error of a sink that lost lines, and how many: for an
// error of another type, the line written is the one lost.
type Dropped struct {
	Lines int
	Err   error
}

func (e *Dropped) Error() string { return e.Err.Error() }
func (e *Dropped) Unwrap() error { return e.Err }

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
// output is stopped or not read) is dropped, and reported. A pipe takes a
// line of up to PIPE_BUF bytes whole or not at all; a longer one is
// written only when the pipe surely has room for all of it (see
// pipeFits), so that its reader never reads a cut line.
func writeLine(fd int, path string, line []byte, pipe bool) error {
	if pipe && len(line) > pipeBuf && !pipeFits(fd, len(line)) {
		return fmt.Errorf("write %s: %w (no room for a line of %d bytes)", path, unix.EAGAIN, len(line))
	}
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

// pipeBuf is PIPE_BUF on Linux: a write of up to this many bytes to a pipe
// is atomic.
const pipeBuf = 4096

// pipeFits reports whether the pipe fd has free pages for n bytes. A pipe
// is a ring of pages, and what it holds (FIONREAD) does not say how many
// pages it takes: a write goes into the last page only if all of its
// first part fits there, so of two pages in a row written by whole lines
// the second started with what did not fit in the first, and together
// they hold more than a page. Hence held bytes take at most
// 2*held/page + 3 pages (the first may be partly read, the last partly
// written). Another writer to the pipe could take the room meanwhile;
// gsyslogd's pipes normally have none.
func pipeFits(fd, n int) bool {
	size, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return true // cannot tell: try the write
	}
	held, err := unix.IoctlGetInt(fd, unix.TIOCINQ) // FIONREAD
	if err != nil {
		return true
	}
	page := os.Getpagesize()
	used := 0
	if held > 0 {
		used = (2*held+page-1)/page + 3
	}
	return (size/page-used)*page >= n
}
