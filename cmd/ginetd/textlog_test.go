package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// same checks that textHandler writes r exactly as slog.TextHandler does.
func same(t *testing.T, r slog.Record) (fast bool) {
	t.Helper()
	var want, got bytes.Buffer
	if err := slog.NewTextHandler(&want, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if err := newTextHandler(&got, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("textHandler wrote\n  %q\nslog.TextHandler\n  %q", got.String(), want.String())
	}
	_, fast = appendTextRecord(nil, r)
	return fast
}

func TestTextHandlerSame(t *testing.T) {
	when := time.Date(2026, 11, 26, 3, 4, 5, 999_999_999, time.FixedZone("X", 3600))
	strs := []string{"", "daytime", "127.0.0.1:5000", "[::1]:5000", "exit 0", "a=b", `say "hi"`, `back\slash`,
		`sp ace\and`, "tab\there", "nul\x00", "del\x7f", "é", "日本", "\xff"}
	fast := 0
	for _, s := range strs {
		for _, tm := range []time.Time{when, {}, when.Add(-999 * time.Millisecond), time.Unix(0, 0).UTC()} {
			for _, lv := range []slog.Level{slog.LevelInfo, slog.LevelWarn, slog.LevelDebug, slog.LevelError, slog.LevelInfo + 2} {
				r := slog.NewRecord(tm, lv, "accept", 0)
				r.AddAttrs(slog.String("svc", s), slog.Int("pid", -42), slog.Duration("dur", 1234567*time.Nanosecond))
				if same(t, r) {
					fast++
				}
				r = slog.NewRecord(tm, lv, s, 0)
				r.AddAttrs(slog.Duration("dur", 1500*time.Nanosecond), slog.Duration("d0", 0), slog.Int64("n", 1<<40))
				same(t, r)
			}
		}
	}
	if fast == 0 {
		t.Fatal("no record took the fast path")
	}
	// Kinds and keys it leaves to slog still come out right.
	for _, a := range []slog.Attr{
		slog.Bool("ok", true), slog.Float64("f", 1.5), slog.Uint64("u", 7), slog.Time("t", when),
		slog.Any("err", errors.New("boom")), slog.Group("g", slog.Int("a", 1)), slog.String("a key", "v"),
		slog.String("", "v"), {}, slog.Any("nil", nil),
	} {
		r := slog.NewRecord(when, slog.LevelInfo, "m", 0)
		r.AddAttrs(slog.String("svc", "x"), a)
		same(t, r)
	}
	// The connection lines are the fast path.
	r := slog.NewRecord(when, slog.LevelInfo, "exit", 0)
	r.AddAttrs(slog.String("svc", "daytime"), slog.Int("pid", 1234), slog.String("status", "exit 0"), slog.Duration("dur", 812*time.Microsecond))
	if !same(t, r) {
		t.Error("the exit line did not take the fast path")
	}
}

func FuzzTextHandlerSame(f *testing.F) {
	f.Add("accept", "svc", "daytime", int64(3), int64(1500))
	f.Add("", "k", "exit 0", int64(-1), int64(0))
	f.Fuzz(func(t *testing.T, msg, key, val string, n, d int64) {
		r := slog.NewRecord(time.Unix(0, n*1000003).UTC(), slog.Level(n%12), msg, 0)
		r.AddAttrs(slog.String(key, val), slog.Int64(val, n), slog.Duration(key, time.Duration(d)))
		same(t, r)
	})
}

func BenchmarkTextHandler(b *testing.B) {
	var buf bytes.Buffer
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "exit", 0)
	r.AddAttrs(slog.String("svc", "daytime"), slog.Int("pid", 1234), slog.String("status", "exit 0"), slog.Duration("dur", 812*time.Microsecond))
	for _, h := range []struct {
		name string
		h    slog.Handler
	}{{"slog", slog.NewTextHandler(&buf, nil)}, {"ginetd", newTextHandler(&buf, nil)}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				h.h.Handle(context.Background(), r)
			}
		})
	}
}

// TestLogOneLine: a value from the network (a peer's certificate subject,
// a handshake error naming it, a tcpmux service name) that holds line
// breaks or control characters stays on its record's line in the text
// and JSON logs: it cannot forge a second record.
func TestLogOneLine(t *testing.T) {
	for _, v := range []string{"x\nlevel=ERROR msg=forged", "x\r\nlevel=ERROR", "x\x1b[2K\rforged", "x\u2028y", "x\x85y"} {
		for _, json := range []bool{false, true} {
			var b bytes.Buffer
			h := newTextHandler(&b, nil)
			if json {
				h = slog.NewJSONHandler(&b, nil)
			}
			r := slog.NewRecord(time.Now(), slog.LevelWarn, "reject", 0)
			r.AddAttrs(slog.String("svc", v), slog.Any("err", errors.New("tls: "+v)))
			if err := h.Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if bytes.Count(b.Bytes(), []byte("\n")) != 1 || !bytes.HasSuffix(b.Bytes(), []byte("\n")) ||
				bytes.ContainsAny(b.Bytes(), "\r\x1b") {
				t.Errorf("json %v: %q logged as %q", json, v, out)
			}
		}
	}
}
