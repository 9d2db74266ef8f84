//go:build unix

package daemon

import (
	"bufio"
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
	"syscall"
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
	if got := recvGram(t, c2); got != "<12>Nov  6 00:55:00 dt: syslog is back, 2 messages lost" {
		t.Errorf("after restart got %q, want the count of lost messages", got)
	}
	if got := recvGram(t, c2); got != "<14>Nov  6 00:55:00 dt: back" {
		t.Errorf("after restart got %q", got)
	}
	if n := strings.Count(stderr.String(), "syslog is back, 2 messages lost\n"); n != 1 {
		t.Errorf("back notices on stderr: %d, want 1:\n%s", n, stderr.String())
	}
}

// TestSyslogNoWaitFull fills the queue of a syslog socket nobody reads,
// through a NoWait handler whose Timeout would hold each message for an
// hour if it waited, and checks the accounting once it reads again: the
// messages before the queue filled arrive, then one report of exactly how
// many were lost, then the next message; the outage is told once, the
// recovery once.
func TestSyslogNoWaitFull(t *testing.T) {
	c, path := listenGram(t)
	var notice syncBuffer
	h := NewSyslogHandler("dt", Daemon, LogOptions{Path: path, NoWait: true, Timeout: time.Hour, Notice: &notice})
	const extra = 50
	sent := make(chan int)
	go func() {
		i := 0
		for ; !strings.Contains(notice.String(), "unreachable") && i < 1<<20; i++ {
			logAt(h, slog.LevelInfo, fmt.Sprintf("m%d", i))
		}
		for j := 0; j < extra; j++ {
			logAt(h, slog.LevelInfo, fmt.Sprintf("m%d", i))
			i++
		}
		sent <- i
	}()
	var n int
	select {
	case n = <-sent:
	case <-time.After(time.Minute):
		t.Fatal("logging waited for a syslog socket that was full")
	}
	if !strings.Contains(notice.String(), "not reading") {
		t.Fatalf("notice %q, want a full queue", notice.String())
	}
	// Everything queued, then the report and the next message.
	queued := drainGram(t, c)
	for i, m := range queued {
		if want := fmt.Sprintf("<30>Nov  6 00:55:00 dt: m%d", i); m != want {
			t.Fatalf("got %q, want %q", m, want)
		}
	}
	got := len(queued)
	logAt(h, slog.LevelInfo, "after")
	if m, want := recvGram(t, c), fmt.Sprintf("<28>Nov  6 00:55:00 dt: syslog is back, %d messages lost", n-got); m != want {
		t.Fatalf("got %q, want %q", m, want)
	}
	if n-got < extra {
		t.Errorf("%d of %d messages lost, want at least %d", n-got, n, extra)
	}
	if m := recvGram(t, c); m != "<30>Nov  6 00:55:00 dt: after" {
		t.Errorf("got %q after the report", m)
	}
	want := fmt.Sprintf("dt: syslog unreachable, messages are lost until it is back: syslog %s: not reading: write: resource temporarily unavailable\ndt: syslog is back, %d messages lost\n", path, n-got)
	if notice.String() != want {
		t.Errorf("notice writer got\n%s\nwant\n%s", notice.String(), want)
	}
}

// drainGram reads the datagrams queued on c, without waiting for more.
func drainGram(t *testing.T, c *net.UnixConn) []string {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	buf := make([]byte, 64<<10)
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
			if err != nil {
				return true
			}
			msgs = append(msgs, string(buf[:n]))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestSyslogNoWaitStream fills a stream syslog socket nobody reads and
// checks that every line the daemon reads is whole (a message the socket
// took in part is finished before any other), then the count of the lost.
func TestSyslogNoWaitStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var notice syncBuffer
	h := NewSyslogHandler("dt", User, LogOptions{Path: path, NoWait: true, NDelay: true, Timeout: time.Hour, Notice: &notice})
	l.(*net.UnixListener).SetDeadline(time.Now().Add(5 * time.Second))
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	long := strings.Repeat("x", 1000)
	sent := make(chan int)
	go func() {
		i := 0
		for ; !strings.Contains(notice.String(), "unreachable") && i < 1<<20; i++ {
			logAt(h, slog.LevelInfo, fmt.Sprintf("m%d %s", i, long))
		}
		for j := 0; j < 10; j++ {
			logAt(h, slog.LevelInfo, fmt.Sprintf("m%d %s", i, long))
			i++
		}
		sent <- i
	}()
	var n int
	select {
	case n = <-sent:
	case <-time.After(time.Minute):
		t.Fatal("logging waited for a syslog socket that was full")
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	for got := 0; ; got++ {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d lines: %v", got, err)
		}
		if got == 0 {
			logAt(h, slog.LevelInfo, "after")
		}
		if strings.Contains(line, "syslog is back") {
			if want := fmt.Sprintf("<12>Nov  6 00:55:00 dt: syslog is back, %d messages lost\n", n-got); line != want {
				t.Fatalf("got %q, want %q", line, want)
			}
			break
		}
		if want := fmt.Sprintf("<14>Nov  6 00:55:00 dt: m%d %s\n", got, long); line != want {
			t.Fatalf("line %d: got %q, want %q", got, line, want)
		}
	}
	if line, _ := r.ReadString('\n'); line != "<14>Nov  6 00:55:00 dt: after\n" {
		t.Errorf("got %q after the report", line)
	}
}

// TestSyslogRefused checks the accounting when the socket file is there
// but nobody is bound to it (ECONNREFUSED), as after syslogd was killed.
func TestSyslogRefused(t *testing.T) {
	c, path := listenGram(t)
	var notice syncBuffer
	h := NewSyslogHandler("dt", User, LogOptions{Path: path, NoWait: true, NDelay: true, Notice: &notice})
	c.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		logAt(h, slog.LevelInfo, "lost")
	}
	os.Remove(path)
	c2, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	logAt(h, slog.LevelInfo, "back")
	if got := recvGram(t, c2); got != "<12>Nov  6 00:55:00 dt: syslog is back, 3 messages lost" {
		t.Errorf("got %q", got)
	}
	if got := recvGram(t, c2); got != "<14>Nov  6 00:55:00 dt: back" {
		t.Errorf("got %q", got)
	}
	if got := notice.String(); strings.Count(got, "unreachable") != 1 || !strings.Contains(got, "connection refused") || !strings.HasSuffix(got, "dt: syslog is back, 3 messages lost\n") {
		t.Errorf("notice writer got %q", got)
	}
}

// TestSyslogNeverBlocks fills a syslog socket nobody reads and checks that
// logging does not wait Timeout for every message: that would take 2000 x
// 50 ms = 100 s; the bound, a third of that, holds on a loaded machine.
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
	if d := time.Since(start); d > 33*time.Second {
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

// TestSyslogWithFacilityClose: handlers of several facilities share one
// connection; Close closes it, and a later message opens a new one.
func TestSyslogWithFacilityClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.(*net.UnixListener).SetDeadline(time.Now().Add(5 * time.Second))
	h := NewSyslogHandler("dt", User, LogOptions{Path: path})
	h2 := h.WithFacility(Local2)
	go func() {
		logAt(h, slog.LevelInfo, "one")
		logAt(h2, slog.LevelWarn, "two")
		logAt(h.WithFacility(Kern), slog.LevelInfo, "three")
	}()
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	for _, want := range []string{
		"<14>Nov  6 00:55:00 dt: one\n",
		"<148>Nov  6 00:55:00 dt: two\n",
		"<14>Nov  6 00:55:00 dt: three\n",
	} {
		if got, err := r.ReadString('\n'); got != want {
			t.Fatalf("got %q (%v), want %q", got, err, want)
		}
	}
	if err := h2.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := r.ReadString('\n'); err == nil {
		t.Fatalf("after Close: read %q, want EOF", got)
	}
	go logAt(h, slog.LevelInfo, "four")
	conn2, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	conn2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, err := bufio.NewReader(conn2).ReadString('\n'); got != "<14>Nov  6 00:55:00 dt: four\n" {
		t.Fatalf("after Close, new connection: got %q (%v)", got, err)
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
