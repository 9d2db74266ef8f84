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

// logs are the loggers a server writes with.
type logs struct {
	log *slog.Logger // for everything but the supervisor's loop
	// loop is the supervisor's logger: on a file or stderr its lines
	// collect in a buffer that the loop writes out once per round of
	// events (flush), so a busy server spends one write(2) on many
	// accept and exit lines instead of one each.
	loop   *slog.Logger
	flush  func()
	reopen func() error // reopens a log file (SIGHUP); nil otherwise
}

// newLogger builds the loggers the flags ask for.
func newLogger(f *flags, daemonized bool) (*logs, error) {
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
	l := &logs{}
	var w io.Writer
	switch dest {
	case "stderr":
		w = os.Stderr
	case "syslog":
		h, err := syslogHandler(f, level)
		if err != nil {
			return nil, err
		}
		l.log = slog.New(h)
		l.loop = l.log
		return l, nil
	default:
		lf, err := openLogFile(dest)
		if err != nil {
			return nil, fmt.Errorf("-log: %w", err)
		}
		w, l.reopen = lf, lf.Reopen
	}
	handler := func(w io.Writer) slog.Handler {
		opts := &slog.HandlerOptions{Level: level}
		if f.logFormat == "json" {
			return slog.NewJSONHandler(w, opts)
		}
		return newTextHandler(w, opts)
	}
	bw := &batchWriter{w: w}
	l.log = slog.New(handler(w))
	l.loop = slog.New(handler(bw))
	l.flush = bw.Flush
	return l, nil
}

// batchWriter collects whole log lines until Flush. Only the supervisor's
// loop writes to it and flushes it; the mutex guards against a stray
// writer all the same.
type batchWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// maxBatch bounds the buffer: a longer round of events flushes early.
const maxBatch = 64 << 10

func (b *batchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > maxBatch {
		b.flushLocked()
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes out what has collected.
func (b *batchWriter) Flush() {
	b.mu.Lock()
	b.flushLocked()
	b.mu.Unlock()
}

func (b *batchWriter) flushLocked() {
	if len(b.buf) > 0 {
		b.w.Write(b.buf)
		b.buf = b.buf[:0]
	}
}
