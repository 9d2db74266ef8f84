package syslog

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/syslog/conf"
	"github.com/ginetd/ginetd/internal/syslog/input"
	"github.com/ginetd/ginetd/internal/syslog/msg"
	"github.com/ginetd/ginetd/internal/syslog/sink"
)

var stamp = msg.MakeStamp(time.Date(2026, 11, 5, 7, 8, 9, 0, time.Local))

func newTestDispatcher(t *testing.T, config string) (*dispatcher, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, problems := conf.Parse("c", []byte(strings.ReplaceAll(config, "$D", dir)))
	if problems != nil {
		t.Fatal(problems)
	}
	tab, _, err := buildTable(cfg, env{host: []byte("me")}, true)
	if err != nil {
		t.Fatal(err)
	}
	d := newDispatcher([]byte("me"), tab, func(sev int, f string, a ...any) { t.Logf(f, a...) })
	return d, dir
}

func batch(remote bool, raw ...string) *input.Batch {
	b := &input.Batch{Remote: remote}
	for _, r := range raw {
		b.Msgs = append(b.Msgs, msg.Parse([]byte(r), stamp))
	}
	return b
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRouteAndRepeat(t *testing.T) {
	d, dir := newTestDispatcher(t, "user.*\t-$D/user\n*.err;user.none\t$D/err\nuser.=info\t-$D/user\n")
	d.handle(batch(false, "<14>t: a", "<14>t: a", "<14>t: a", "<11>t: b", "<19>t: mail err", "<14>t: c"))
	want := "Nov  5 07:08:09 me t: a\nNov  5 07:08:09 me last message repeated 2 times\n" +
		"Nov  5 07:08:09 me t: b\nNov  5 07:08:09 me t: c\n"
	if got := read(t, filepath.Join(dir, "user")); got != want {
		t.Errorf("user:\n%s\nwant:\n%s", got, want)
	}
	if got := read(t, filepath.Join(dir, "err")); got != "Nov  5 07:08:09 me t: mail err\n" {
		t.Errorf("err: %q", got)
	}
	// a pending count is written by the timer after repeatFlush, and at close
	d.handle(batch(false, "<14>t: c", "<14>t: c"))
	d.tick(time.Now().Add(repeatFlush / 2))
	if got := read(t, filepath.Join(dir, "user")); strings.Contains(got, "repeated 2 times\nNov  5 07:08:09 me last") {
		t.Fatal("count written too early")
	}
	d.tick(time.Now().Add(2 * repeatFlush))
	if got := read(t, filepath.Join(dir, "user")); !strings.HasSuffix(got, "t: c\nNov  5 07:08:09 me last message repeated 2 times\n") {
		t.Errorf("after the timer:\n%s", got)
	}
	d.handle(batch(false, "<14>t: c"))
	d.close()
	if got := read(t, filepath.Join(dir, "user")); !strings.HasSuffix(got, "repeated 2 times\nNov  5 07:08:09 me t: c\n") {
		t.Errorf("after close:\n%s", got)
	}
	d.handle(batch(false, "<14>t: after close")) // dropped, no panic
}

func TestSwapRetiresOld(t *testing.T) {
	d, dir := newTestDispatcher(t, "*.* -$D/old\n")
	d.handle(batch(false, "<14>t: x", "<14>t: x"))
	cfg, _ := conf.Parse("c", []byte(fmt.Sprintf("*.* -%s/new\n", dir)))
	tab, _, err := buildTable(cfg, env{host: []byte("me")}, true)
	if err != nil {
		t.Fatal(err)
	}
	d.swap(tab)
	d.handle(batch(false, "<14>t: y"))
	d.close()
	if got := read(t, filepath.Join(dir, "old")); got != "Nov  5 07:08:09 me t: x\nNov  5 07:08:09 me last message repeated 1 times\n" {
		t.Errorf("old: %q", got)
	}
	if got := read(t, filepath.Join(dir, "new")); got != "Nov  5 07:08:09 me t: y\n" {
		t.Errorf("new: %q", got)
	}
}

func TestRemoteNotForwarded(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	d, _ := newTestDispatcher(t, "*.* @"+pc.LocalAddr().String()+"\n")
	defer d.close()
	d.handle(batch(true, "<14>remote: no"))
	d.handle(batch(false, "<14>local: yes"))
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 100)
	n, _, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "<14>Nov  5 07:08:09 me local: yes" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
}

func TestBuildTableStrict(t *testing.T) {
	cfg, _ := conf.Parse("c", []byte("*.* /nonexistent/dir/x\n*.* |/nonexistent/fifo\n"))
	if _, _, err := buildTable(cfg, env{}, true); err == nil || !strings.HasPrefix(err.Error(), "c:1: ") {
		t.Fatalf("strict: %v", err)
	}
	tab, skipped, err := buildTable(cfg, env{}, false)
	if err != nil || tab == nil || len(tab.outputs) != 0 || !strings.Contains(skipped.Error(), "c:2: ") {
		t.Fatalf("lenient: %v %v", skipped, err)
	}
	// an unresolvable forwarding host is skipped, even when strict
	cfg, _ = conf.Parse("c", []byte("*.* @no.such.host.invalid\n*.* -"+t.TempDir()+"/f\n"))
	tab, skipped, err = buildTable(cfg, env{}, true)
	if err != nil || len(tab.outputs) != 1 || skipped == nil {
		t.Fatalf("strict with a bad forward: %v %v", skipped, err)
	}
	tab.close()
}

// TestRFC5424Actions: the traditional line leaves STRUCTURED-DATA out;
// ";RFC5424" files and forwarding get the RFC 5424 line.
func TestRFC5424Actions(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	d, dir := newTestDispatcher(t, "*.*\t-$D/trad\n*.*\t-$D/new ;RFC5424\n*.*\t@"+pc.LocalAddr().String()+" ;RFC5424\n")
	defer d.close()
	const in = `<13>1 2026-11-26T00:58:32.5Z h app 7 MID [a@1 x="y"] text`
	d.handle(batch(false, in))
	d.flush()
	if got, want := read(t, filepath.Join(dir, "trad")), "h app[7]: text\n"; !strings.HasSuffix(got, want) || strings.Contains(got, "a@1") {
		t.Errorf("trad = %q, want ...%q", got, want)
	}
	if got := read(t, filepath.Join(dir, "new")); got != in+"\n" {
		t.Errorf("new = %q, want %q", got, in+"\n")
	}
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, _, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != in {
		t.Errorf("forwarded %q, %v; want %q", buf[:n], err, in)
	}
}

// fullSink buffers lines as a file does, and while full its Flush drops
// them all.
type fullSink struct {
	full    bool
	buf     []string
	written []string
}

func (s *fullSink) Write(line []byte, _ *msg.Message) error {
	s.buf = append(s.buf, string(line))
	return nil
}

func (s *fullSink) Flush() error {
	n := len(s.buf)
	if n == 0 {
		return nil
	}
	lines := s.buf
	s.buf = nil
	if s.full {
		return &sink.Dropped{Lines: n, Err: fmt.Errorf("write full: no space left on device")}
	}
	s.written = append(s.written, lines...)
	return nil
}

func (s *fullSink) Close() error { return nil }

// TestOutputFailsOnce: an output whose writes are only buffered is not
// taken for working again before a flush goes through (the error and the
// recovery alternated with every batch); the failure is reported once,
// the recovery once with the count of lines lost (its own notice
// included), on stderr and through the outputs.
func TestOutputFailsOnce(t *testing.T) {
	d, dir := newTestDispatcher(t, "*.*\t-$D/full\n*.*\t-$D/ok\n")
	var reports []string
	d.report = func(sev int, f string, a ...any) { reports = append(reports, fmt.Sprintf(f, a...)) }
	fs := &fullSink{full: true}
	d.t.outputs[0].sink = fs
	d.t.outputs[0].name = "full"
	d.handle(batch(false, "<14>t: 1", "<14>t: 2"))
	d.handle(batch(false, "<14>t: 3"))
	d.tick(time.Now())
	if len(reports) != 1 || !strings.HasPrefix(reports[0], "write full: no space left on device (further errors") {
		t.Fatalf("reports while failing: %q", reports)
	}
	fs.full = false
	d.handle(batch(false, "<14>t: 4"))
	d.handle(batch(false, "<14>t: 5"))
	d.close()
	if len(reports) != 2 || reports[1] != "full works again, 4 lines dropped" {
		t.Fatalf("reports: %q", reports)
	}
	want := []string{"Nov  5 07:08:09 me t: 4\n", "gsyslogd: full works again, 4 lines dropped\n", "Nov  5 07:08:09 me t: 5\n"}
	if len(fs.written) != 3 || fs.written[0] != want[0] || !strings.HasSuffix(fs.written[1], want[1]) || fs.written[2] != want[2] {
		t.Errorf("written after the recovery: %q", fs.written)
	}
	ok := read(t, filepath.Join(dir, "ok"))
	if strings.Count(ok, "gsyslogd: write full: no space left on device (further errors") != 1 || strings.Count(ok, "gsyslogd: full works again, 4 lines dropped\n") != 1 {
		t.Errorf("the other output got:\n%s", ok)
	}
}
