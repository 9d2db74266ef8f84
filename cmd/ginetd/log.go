package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
)

// logFile is a log file that can be reopened (SIGHUP, for logrotate).
type logFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func openLogFile(path string) (*logFile, error) {
	l := &logFile{path: path}
	return l, l.Reopen()
}

// Write writes p to the current file.
func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// Reopen opens the path again, so that a rotated file is let go.
func (l *logFile) Reopen() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// newLogger builds the logger the flags ask for. reopen, when non-nil, is
// called on SIGHUP.
func newLogger(f *flags, daemonized bool) (log *slog.Logger, reopen func() error, err error) {
	level := slog.LevelInfo
	if f.debug {
		level = slog.LevelDebug
	}
	dest := f.log
	if dest == "" {
		dest = "stderr"
		if daemonized {
			dest = "syslog"
		}
	}
	var w io.Writer
	switch dest {
	case "stderr":
		w = os.Stderr
	case "syslog":
		h, err := syslogHandler(f, level)
		if err != nil {
			return nil, nil, err
		}
		return slog.New(h), nil, nil
	default:
		lf, err := openLogFile(dest)
		if err != nil {
			return nil, nil, fmt.Errorf("-log: %w", err)
		}
		w, reopen = lf, lf.Reopen
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if f.logFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h), reopen, nil
}
