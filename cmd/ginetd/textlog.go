package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// textHandler writes exactly what slog.TextHandler writes, formatting the
// common records itself: those whose message and attributes are plain
// strings, integers and durations at the top level, as the accept and
// exit lines of every connection are. slog's general path (handler state,
// attribute resolution, quoting rules for every kind) costs a busy ginetd
// more user CPU per connection than everything else it does in user space;
// this one is a few appends. Anything else goes to the TextHandler.
// TestTextHandlerSame holds the two to the same bytes.
//
// Each line is one Write, as with the TextHandler; w must take concurrent
// Writes (ginetd's batch, log file and stderr all do).
type textHandler struct {
	slow *slog.TextHandler
	w    io.Writer
}

func newTextHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	if opts != nil && (opts.AddSource || opts.ReplaceAttr != nil) {
		return slog.NewTextHandler(w, opts)
	}
	return &textHandler{slow: slog.NewTextHandler(w, opts), w: w}
}

func (h *textHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.slow.Enabled(ctx, l)
}

func (h *textHandler) WithAttrs(as []slog.Attr) slog.Handler { return h.slow.WithAttrs(as) }
func (h *textHandler) WithGroup(name string) slog.Handler    { return h.slow.WithGroup(name) }

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func (h *textHandler) Handle(ctx context.Context, r slog.Record) error {
	bp := lineBufs.Get().(*[]byte)
	defer lineBufs.Put(bp)
	b, ok := appendTextRecord((*bp)[:0], r)
	*bp = b[:0]
	if !ok {
		return h.slow.Handle(ctx, r)
	}
	_, err := h.w.Write(b)
	return err
}

// appendTextRecord appends r as slog.TextHandler (no options) would, or
// reports false for a record it leaves to slog.
func appendTextRecord(b []byte, r slog.Record) ([]byte, bool) {
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, r.Time.Round(0))
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b, ok := appendTextString(b, r.Level.String())
	if !ok {
		return b, false
	}
	b = append(b, " msg="...)
	if b, ok = appendTextString(b, r.Message); !ok {
		return b, false
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "" || !plain(a.Key) {
			ok = false
			return false
		}
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, '=')
		switch a.Value.Kind() {
		case slog.KindString:
			b, ok = appendTextString(b, a.Value.String())
		case slog.KindInt64:
			b = strconv.AppendInt(b, a.Value.Int64(), 10)
		case slog.KindDuration:
			b = append(b, a.Value.Duration().String()...)
		default:
			ok = false
		}
		return ok
	})
	return append(b, '\n'), ok
}

// appendTextString appends s, quoted when slog would quote it; it reports
// false for strings outside printable ASCII, whose quoting it leaves to
// slog.
func appendTextString(b []byte, s string) ([]byte, bool) {
	quote := s == ""
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e:
			return b, false
		case c == ' ' || c == '=' || c == '"':
			quote = true
		}
	}
	if quote {
		return strconv.AppendQuote(b, s), true
	}
	return append(b, s...), true
}

// plain reports a key slog writes unquoted.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > 0x7e || c == '=' || c == '"' {
			return false
		}
	}
	return true
}

// appendRFC3339Millis is slog's time format: RFC 3339 with exactly three
// fractional digits.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}
