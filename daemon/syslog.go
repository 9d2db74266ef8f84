//go:build unix

package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LogOptions are the openlog(3) options of Logger. When syslog is
// unreachable, the outage is reported once on Stderr with Perror and on the
// console with Cons; with neither, silently: messages are dropped until a
// later one finds the syslog daemon back.
type LogOptions struct {
	// PID adds the process id to each message: "TAG[PID]: " (LOG_PID).
	PID bool
	// Cons writes a message to the system console when it cannot be sent
	// to syslog (LOG_CONS), and says once on the console that syslog is
	// unreachable.
	Cons bool
	// Perror also writes each message to Stderr as "TAG[PID]: MSG"
	// (LOG_PERROR), and says there once when syslog is unreachable. Never
	// set it in a program run by an inetd: its fd 2 is the client.
	Perror bool
	// NDelay connects to syslog at once instead of at the first message
	// (LOG_NDELAY).
	NDelay bool
	// Path is the syslog socket; empty means /dev/log, then /var/run/log.
	Path string
	// Stderr receives the Perror copies; nil means os.Stderr.
	Stderr io.Writer
	// Console is the console device for Cons; empty means /dev/console.
	Console string
	// Notice, if set, is told once per outage that syslog is unreachable
	// (as Perror's stderr is), without every message being copied there.
	Notice io.Writer
	// Level is the lowest level logged; nil means slog.LevelInfo.
	Level slog.Leveler
	// Timeout bounds the wait for a syslog daemon that does not keep up;
	// the message is then dropped (or goes to the console with Cons), and
	// for the next second messages are only tried, not waited for. Zero
	// means 500ms.
	Timeout time.Duration
	// NoWait never waits for the syslog daemon: a message its socket
	// cannot take at once (the daemon's queue is full because it is
	// stopped or slow) is dropped and counted, as when it is unreachable.
	// For a server whose logging must never hold up its work.
	NoWait bool
}

// The levels between and beyond slog's four, for the syslog severities
// slog has no name for. Logger maps any level to the severity at or below
// it: LevelEmerg and up to emerg(0), LevelAlert alert(1), LevelCrit crit(2),
// slog.LevelError err(3), slog.LevelWarn warning(4), LevelNotice notice(5),
// slog.LevelInfo info(6), below it debug(7).
const (
	LevelNotice = slog.Level(2)
	LevelCrit   = slog.Level(12)
	LevelAlert  = slog.Level(16)
	LevelEmerg  = slog.Level(20)
)

// severity maps a slog level to a syslog severity.
func severity(l slog.Level) int {
	switch {
	case l >= LevelEmerg:
		return 0
	case l >= LevelAlert:
		return 1
	case l >= LevelCrit:
		return 2
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l >= LevelNotice:
		return 5
	case l >= slog.LevelInfo:
		return 6
	}
	return 7
}

// Logger returns a logger that writes to syslog, as openlog(ident,
// options, facility) followed by syslog(3) calls would: see
// NewSyslogHandler. An empty ident means the base name of os.Args[0]; the
// facility Kern means User, as in glibc.
//
// The text of %m, strerror(errno), is the err attribute's value
// (slog.Any("err", err)), or Errno(err) for the bare errno text.
func Logger(ident string, facility Facility, opts LogOptions) *slog.Logger {
	return slog.New(NewSyslogHandler(ident, facility, opts))
}

// SyslogHandler is a slog.Handler that sends each record to the local
// syslog daemon as one RFC 3164 datagram, as glibc's syslog(3) does:
//
//	<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG key=value key="quoted value"
//
// PRI is facility*8 + the severity of the record's level (see LevelNotice),
// the time is local, "[PID]" is there with LogOptions.PID, and attributes
// follow the message as slog.TextHandler writes them (groups as "g.key").
//
// Logging never fails and never blocks for long (with LogOptions.NoWait,
// never at all): when the syslog daemon is not there, restarts or does not
// keep up, the handler drops messages and counts them, says once (per
// LogOptions) that messages are lost, and tries again at every message.
// The outage ends when syslog takes a report of the count, sent before the
// next message at warning severity and also given where the outage was
// reported:
//
//	TAG[PID]: syslog is back, 42 messages lost
//
// The handler is safe for concurrent use; handlers derived with WithAttrs
// and WithGroup share its connection.
type SyslogHandler struct {
	w        *syslogWriter
	tag      string
	facility Facility
	pid      bool
	level    slog.Leveler
	attrs    string // preformatted " k=v" of WithAttrs
	group    string // "a.b." prefix of WithGroup
}

// NewSyslogHandler returns a handler for ident and facility; see Logger.
func NewSyslogHandler(ident string, facility Facility, opts LogOptions) *SyslogHandler {
	if facility == Kern {
		facility = User
	}
	level := opts.Level
	if level == nil {
		level = slog.LevelInfo
	}
	return &SyslogHandler{
		w:        newSyslogWriter(opts),
		tag:      programName(ident),
		facility: facility,
		pid:      opts.PID,
		level:    level,
	}
}

// Enabled reports whether level is at or above LogOptions.Level.
func (h *SyslogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// Handle sends r to syslog. Its error is always nil: failures are reported
// as the handler's documentation says.
func (h *SyslogHandler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.group, a)
		return true
	})
	tag := h.tag
	if h.pid {
		tag += "[" + strconv.Itoa(os.Getpid()) + "]"
	}
	pri := int(h.facility)*8 + severity(r.Level)
	h.w.send(pri, t.Format(time.Stamp), tag, b.String())
	return nil
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *SyslogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, h.group, a)
	}
	h2.attrs = b.String()
	return &h2
}

// WithFacility returns a handler that logs as facility (Kern meaning User)
// and shares h's connection: a program logging to several facilities
// needs one socket to syslog, not one for each.
func (h *SyslogHandler) WithFacility(facility Facility) *SyslogHandler {
	if facility == Kern {
		facility = User
	}
	h2 := *h
	h2.facility = facility
	return &h2
}

// Close closes the connection to syslog that h shares with the handlers
// derived from it, as closelog(3) does: a message logged later opens a
// new one.
func (h *SyslogHandler) Close() error {
	return h.w.close()
}

// WithGroup returns a handler that qualifies later attributes with name.
func (h *SyslogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

// appendAttr writes " key=value" for a, expanding groups.
func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if v.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, ga := range v.Group() {
			appendAttr(b, prefix, ga)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(quoteIfNeeded(prefix + a.Key))
	b.WriteByte('=')
	var s string
	switch v.Kind() {
	case slog.KindTime:
		s = v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			s = err.Error()
			break
		}
		s = v.String()
	default:
		s = v.String()
	}
	b.WriteString(quoteIfNeeded(s))
}

// quoteIfNeeded quotes s as slog.TextHandler would: when it is empty or
// holds a space, '=', '"' or a character that is not printable.
func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r == ' ' || r == '=' || r == '"' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// Errno returns the text of the system error in err, as %m in syslog(3)
// prints strerror(errno): for an error wrapping a syscall.Errno (an
// *os.PathError, *net.OpError, ...), the errno's text alone, such as
// "no such file or directory"; for any other error, err.Error(); for nil,
// "". Go's errno texts are strerror's, in lower case.
func Errno(err error) string {
	if err == nil {
		return ""
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
