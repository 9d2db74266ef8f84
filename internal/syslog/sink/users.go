package sink

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// DefaultUtmp is the utmp file read to find users' terminals.
const DefaultUtmp = "/var/run/utmp"

// Layout of a glibc struct utmp on Linux (x86-64, arm64 and others).
const (
	utmpSize      = 384
	userProcess   = 7
	offType       = 0
	offPid        = 4
	offLine       = 8
	lineSize      = 32
	offUser       = 44
	userSize      = 32
	maxTerminals  = 64
	terminalFlags = unix.O_WRONLY | unix.O_NOCTTY | unix.O_NONBLOCK | unix.O_CLOEXEC
)

// Users writes messages to the terminals of logged-in users: those named,
// or everyone (wall) when the list is nil. The utmp file is read at each
// message; a terminal is opened, written without blocking, and closed.
type Users struct {
	utmp  string
	users []string
	host  []byte
	buf   []byte
}

// NewUsers returns a sink for users (nil: everyone), reading utmp.
func NewUsers(utmp string, users []string, host []byte) *Users {
	return &Users{utmp: utmp, users: users, host: host}
}

// Write sends line to every matching terminal, "\n" written as "\r\n".
// Messages to everyone get sysklogd's banner first.
func (s *Users) Write(line []byte, m *msg.Message) error {
	ttys, err := s.terminals()
	if err != nil || len(ttys) == 0 {
		return err
	}
	s.buf = s.buf[:0]
	if s.users == nil && m != nil {
		s.buf = append(s.buf, "\r\n\aMessage from syslogd@"...)
		s.buf = append(s.buf, s.host...)
		s.buf = append(s.buf, " at "...)
		s.buf = append(s.buf, m.Stamp[:]...)
		s.buf = append(s.buf, " ...\r\n"...)
	}
	s.buf = append(s.buf, bytes.TrimSuffix(line, []byte("\n"))...)
	s.buf = append(s.buf, '\r', '\n')
	var first error
	for _, tty := range ttys {
		if err := writeTerminal(tty, s.buf); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func writeTerminal(path string, b []byte) error {
	fd, err := unix.Open(path, terminalFlags, 0)
	if err != nil {
		return fmt.Errorf("terminal %s: %w", path, err)
	}
	defer unix.Close(fd)
	if !isTerminal(fd) {
		return fmt.Errorf("terminal %s: not a terminal", path)
	}
	if _, err := unix.Write(fd, b); err != nil {
		return fmt.Errorf("terminal %s: %w", path, err)
	}
	return nil
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// terminals lists the device paths of the matching users' sessions.
func (s *Users) terminals() ([]string, error) {
	data, err := os.ReadFile(s.utmp)
	if err != nil {
		return nil, fmt.Errorf("utmp: %w", err)
	}
	var out []string
	for len(data) >= utmpSize && len(out) < maxTerminals {
		rec := data[:utmpSize]
		data = data[utmpSize:]
		if binary.NativeEndian.Uint16(rec[offType:]) != userProcess {
			continue
		}
		user := cstring(rec[offUser : offUser+userSize])
		line := cstring(rec[offLine : offLine+lineSize])
		if line == "" || strings.Contains(line, "..") || s.users != nil && !slices.Contains(s.users, user) {
			continue
		}
		tty := "/dev/" + strings.TrimPrefix(line, "/dev/")
		if !slices.Contains(out, tty) {
			out = append(out, tty)
		}
	}
	return out, nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// UtmpRecord returns a USER_PROCESS utmp record for user on line (such as
// "pts/3"), for tests and tools that register a session.
func UtmpRecord(user, line string, pid int) []byte {
	rec := make([]byte, utmpSize)
	binary.NativeEndian.PutUint16(rec[offType:], userProcess)
	binary.NativeEndian.PutUint32(rec[offPid:], uint32(pid))
	copy(rec[offLine:offLine+lineSize], line)
	copy(rec[offUser:offUser+userSize], user)
	return rec
}

// Flush does nothing.
func (s *Users) Flush() error { return nil }

// Close does nothing.
func (s *Users) Close() error { return nil }
