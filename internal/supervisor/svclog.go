package supervisor

import (
	"context"
	"log/slog"
	"time"

	"github.com/ginetd/ginetd/daemon"
)

// logger is where the service's connection events go: ginetd's log, and
// also the service's own xinetd log_type (a file, or syslog with its
// facility and level) when it has one.
func (svc *service) logger(s *Supervisor) *slog.Logger {
	if svc.log != nil {
		return svc.log
	}
	return s.log
}

// logAttrs writes one record through l's handler, for the lines of every
// connection (accept, exit): slog.Logger looks up its caller's PC for
// each record (runtime.Callers), which no handler here uses and which
// costs as much as formatting the line.
func logAttrs(l *slog.Logger, level slog.Level, msg string, attrs ...slog.Attr) {
	ctx := context.Background()
	h := l.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	h.Handle(ctx, r)
}

// configureLog sets up the service's log_type destination: the file the
// loader opened (loader.Acquire, at every load, so a rotated file is
// reopened by SIGHUP; one it could not open was a warning then), or
// syslog, through the one connection of every such service (s.syslog).
func (s *Supervisor) configureLog(svc *service) {
	svc.log = nil
	lt := svc.cfg.LogType
	if lt == nil {
		return
	}
	var extra slog.Handler
	switch {
	case lt.File != "":
		if svc.cfg.LogFile == nil {
			return
		}
		extra = slog.NewTextHandler(svc.cfg.LogFile, nil)
	default:
		fac, err := daemon.ParseFacility(lt.Facility)
		if err != nil {
			s.log.Error("log_type", "svc", svc.lbl, "err", err)
			return
		}
		extra = levelHandler{s.syslogHandler().WithFacility(fac), syslogLevel(lt.Level)}
	}
	svc.log = slog.New(teeHandler{s.log.Handler(), extra})
}

// syslogHandler returns the handler whose connection to syslog every
// service with log_type SYSLOG logs through, each with its own facility
// (WithFacility) and level (levelHandler). It is made once, not at every
// load: a service's logger, old or new, may be used as long as a child
// or connection of the service runs (its exit line), so the connection
// stays for the life of the loop, which closes it when it ends.
func (s *Supervisor) syslogHandler() *daemon.SyslogHandler {
	if s.syslog == nil {
		s.syslog = daemon.NewSyslogHandler("ginetd", daemon.Daemon, daemon.LogOptions{PID: true, NoWait: true, Path: s.opts.SyslogPath, Level: slog.LevelDebug})
	}
	return s.syslog
}

// closeSyslog closes the connection of syslogHandler, once the loop has
// ended and no service logs any more.
func (s *Supervisor) closeSyslog() {
	if s.syslog != nil {
		s.syslog.Close()
	}
}

// syslogLevel maps an xinetd log_type level to the least slog level
// logged.
func syslogLevel(l string) slog.Level {
	switch l {
	case "emerg", "alert", "crit", "err":
		return slog.LevelError
	case "warning":
		return slog.LevelWarn
	case "debug":
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// teeHandler sends every record to two handlers.
type teeHandler struct{ a, b slog.Handler }

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.a.Enabled(ctx, l) || t.b.Enabled(ctx, l)
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	if t.a.Enabled(ctx, r.Level) {
		t.a.Handle(ctx, r.Clone())
	}
	if t.b.Enabled(ctx, r.Level) {
		return t.b.Handle(ctx, r)
	}
	return nil
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{t.a.WithAttrs(as), t.b.WithAttrs(as)}
}

func (t teeHandler) WithGroup(g string) slog.Handler {
	return teeHandler{t.a.WithGroup(g), t.b.WithGroup(g)}
}

// levelHandler passes on the records at or above its level.
type levelHandler struct {
	h     slog.Handler
	level slog.Level
}

func (l levelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= l.level && l.h.Enabled(ctx, level)
}

func (l levelHandler) Handle(ctx context.Context, r slog.Record) error {
	return l.h.Handle(ctx, r)
}

func (l levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{l.h.WithAttrs(as), l.level}
}

func (l levelHandler) WithGroup(g string) slog.Handler {
	return levelHandler{l.h.WithGroup(g), l.level}
}
