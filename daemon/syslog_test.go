//go:build unix

package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stamp is the fixed time of the records the tests send.
var stamp = time.Date(2026, time.November, 6, 0, 55, 0, 0, time.Local)

// logAt logs one record at the fixed time through h.
func logAt(h slog.Handler, level slog.Level, msg string, attrs ...slog.Attr) {
	r := slog.NewRecord(stamp, level, msg, 0)
	r.AddAttrs(attrs...)
	h.Handle(context.Background(), r)
}

func TestSyslogExactBytes(t *testing.T) {
	c, path := listenGram(t)
	pid := os.Getpid()
	for _, tc := range []struct {
		fac   Facility
		pidOn bool
		level slog.Level
		msg   string
		attrs []slog.Attr
		want  string
	}{
		{Daemon, true, slog.LevelInfo, "connection from 127.0.0.1:5000", nil,
			fmt.Sprintf("<30>Nov  6 00:55:00 dt[%d]: connection from 127.0.0.1:5000", pid)},
		{Kern, false, slog.LevelError, "bind", []slog.Attr{slog.Any("err", errors.New("address in use")), slog.Int("port", 13)},
			`<11>Nov  6 00:55:00 dt: bind err="address in use" port=13`},
		{Local7, false, slog.LevelDebug, "x", []slog.Attr{slog.Group("g", slog.String("k", "a=b"))},
			`<191>Nov  6 00:55:00 dt: x g.k="a=b"`},
		{Auth, false, LevelEmerg, "down", nil, `<32>Nov  6 00:55:00 dt: down`},
		{Auth, false, LevelNotice, "n", []slog.Attr{slog.String("e", "")}, `<37>Nov  6 00:55:00 dt: n e=""`},
		{Auth, false, slog.LevelWarn + 1, "w", nil, `<36>Nov  6 00:55:00 dt: w`},
		{Auth, false, LevelCrit, "c", nil, `<34>Nov  6 00:55:00 dt: c`},
		{Auth, false, LevelAlert, "a", nil, `<33>Nov  6 00:55:00 dt: a`},
	} {
		h := NewSyslogHandler("dt", tc.fac, LogOptions{PID: tc.pidOn, Path: path, Level: slog.LevelDebug})
		logAt(h, tc.level, tc.msg, tc.attrs...)
		if got := recvGram(t, c); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestSyslogWithAttrsAndLevel(t *testing.T) {
	c, path := listenGram(t)
	log := Logger("dt", Daemon, LogOptions{Path: path}).With("svc", "daytime").WithGroup("req").With("n", 1)
	log.Debug("dropped below Info")
	log.Info("hello world", "peer", "::1")
	got := recvGram(t, c)
	if want := `dt: hello world svc=daytime req.n=1 req.peer=::1`; !strings.HasSuffix(got, want) || !strings.HasPrefix(got, "<30>") {
		t.Errorf("got %q, want <30>... %q", got, want)
	}
}

func TestSyslogPerror(t *testing.T) {
	c, path := listenGram(t)
	var stderr bytes.Buffer
	h := NewSyslogHandler("dt", User, LogOptions{Perror: true, Path: path, Stderr: &stderr})
	logAt(h, slog.LevelInfo, "to both")
	if got := recvGram(t, c); got != "<14>Nov  6 00:55:00 dt: to both" {
		t.Errorf("syslog got %q", got)
	}
	if got := stderr.String(); got != "dt: to both\n" {
		t.Errorf("stderr got %q", got)
	}
}

// TestSyslogUnreachableThenRestart checks the outage notice is given once,
// that LOG_CONS copies go to the console, and that the handler reconnects
// when the syslog daemon is back on the same path.
func TestSyslogUnreachableThenRestart(t *testing.T) {
	c, path := listenGram(t)
	var stderr syncBuffer
	console := filepath.Join(t.TempDir(), "console")
	if err := os.WriteFile(console, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h := NewSyslogHandler("dt", User, LogOptions{Path: path, Cons: true, Perror: true, Stderr: &stderr, Console: console, NDelay: true})
	c.Close() // the syslog daemon stops
	os.Remove(path)
	logAt(h, slog.LevelInfo, "lost 1")
	logAt(h, slog.LevelInfo, "lost 2")
	if n := strings.Count(stderr.String(), "syslog unreachable"); n != 1 {
		t.Errorf("outage notices on stderr: %d, want 1:\n%s", n, stderr.String())
	}
	b, _ := os.ReadFile(console)
	if want := "Nov  6 00:55:00 dt: lost 1\r\nNov  6 00:55:00 dt: lost 2\r\n"; !strings.HasSuffix(string(b), want) || strings.Count(string(b), "unreachable") != 1 {
		t.Errorf("console got %q, want the notice then %q", b, want)
	}
	c2, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	logAt(h, slog.LevelInfo, "back")
	if got := recvGram(t, c2); got != "<14>Nov  6 00:55:00 dt: back" {
		t.Errorf("after restart got %q", got)
	}
}

// TestSyslogNeverBlocks fills a syslog socket nobody reads and checks that
// logging stays fast.
func TestSyslogNeverBlocks(t *testing.T) {
	_, path := listenGram(t)
	log := Logger("dt", User, LogOptions{Path: path, Timeout: 50 * time.Millisecond})
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				log.Info(strings.Repeat("x", 1000))
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("2000 messages to a stuck syslog took %v", d)
	}
}

func TestSyslogStreamSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "d")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h := NewSyslogHandler("dt", User, LogOptions{Path: path})
	go logAt(h, slog.LevelInfo, "over stream")
	l.(*net.UnixListener).SetDeadline(time.Now().Add(5 * time.Second))
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 256)
	n, _ := conn.Read(buf)
	if got := string(buf[:n]); got != "<14>Nov  6 00:55:00 dt: over stream\n" {
		t.Errorf("got %q", got)
	}
}

func TestErrno(t *testing.T) {
	_, err := os.Open("/nonexistent/x")
	if got := Errno(err); got != "no such file or directory" {
		t.Errorf("Errno(%v) = %q", err, got)
	}
	if got := Errno(fs.ErrClosed); got != fs.ErrClosed.Error() {
		t.Errorf("Errno(ErrClosed) = %q", got)
	}
	if got := Errno(nil); got != "" {
		t.Errorf("Errno(nil) = %q", got)
	}
}

func TestParseFacility(t *testing.T) {
	for in, want := range map[string]Facility{
		"daemon": Daemon, "LOG_LOCAL3": Local3, "Kern": Kern, "security": Auth, "23": Local7, "3": Daemon,
		"ntp": NTP, "audit": Audit, "alert": LogAlert, "clock": Clock, "console": LogAlert, "cron2": Clock,
	} {
		if got, err := ParseFacility(in); got != want || err != nil {
			t.Errorf("ParseFacility(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24", "-1", "03x", "bogus"} {
		if _, err := ParseFacility(in); err == nil {
			t.Errorf("ParseFacility(%q): no error", in)
		}
	}
	if s := Local0.String(); s != "local0" {
		t.Errorf("Local0.String() = %q", s)
	}
}

// TestSyslogNotice checks that LogOptions.Notice hears of an outage once,
// and of nothing else.
func TestSyslogNotice(t *testing.T) {
	dir := t.TempDir() // nothing is created in it: the path only needs to be absent
	var notice bytes.Buffer
	log := Logger("dt", User, LogOptions{Path: filepath.Join(dir, "nothing"), Notice: &notice})
	log.Info("one")
	log.Info("two")
	if n := strings.Count(notice.String(), "syslog unreachable"); n != 1 || strings.Contains(notice.String(), "two") {
		t.Errorf("notice writer got %q, want one outage notice", notice.String())
	}
}
