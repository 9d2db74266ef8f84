package control

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/supervisor"
)

// fuzzConn is a control client as handle sees it: Read serves data, and
// then, if endless, data again for ever (a client that never stops
// sending); what handle writes is kept.
type fuzzConn struct {
	net.Conn
	data    []byte
	endless bool
	off     int
	read    int
	out     bytes.Buffer
}

func (c *fuzzConn) Read(b []byte) (int, error) {
	if c.off == len(c.data) {
		if !c.endless || len(c.data) == 0 {
			return 0, io.EOF
		}
		c.off = 0
	}
	n := copy(b, c.data[c.off:])
	c.off += n
	c.read += n
	return n, nil
}

func (c *fuzzConn) Write(b []byte) (int, error) { return c.out.Write(b) }
func (c *fuzzConn) Close() error                { return nil }
func (c *fuzzConn) SetDeadline(time.Time) error { return nil }

// recorder is a Handler that notes the commands it carries out.
type recorder struct{ calls []string }

func (r *recorder) Status() ([]supervisor.ServiceStatus, error) {
	r.calls = append(r.calls, "status")
	return nil, nil
}
func (r *recorder) Reload() error     { r.calls = append(r.calls, "reload"); return nil }
func (r *recorder) Stop() error       { r.calls = append(r.calls, "stop"); return nil }
func (r *recorder) Upgrade() error    { r.calls = append(r.calls, "upgrade"); return nil }
func (r *recorder) Finish(cmd string) { r.calls = append(r.calls, "finish "+cmd) }

// maxReply bounds the reply to any line: an unknown command is quoted,
// at most maxLine bytes of it, each at most 10 bytes when quoted and
// escaped for JSON.
const maxReply = 64 + 10*maxLine

// FuzzHandle checks one control connection whatever the client sends,
// once and then, a second time, without end: at most maxLine bytes are
// read; a client that closes before a newline (within maxLine bytes)
// gets nothing done and no reply; otherwise it gets exactly one JSON
// reply line, of bounded size whatever it sent, which is ok exactly when
// its first line, trimmed, is a command; that command and nothing else is
// carried out, once, and Finish follows only a stop or an upgrade.
// The seeds (testdata/fuzz) are what `ginetd status`, `reload`, `stop`
// and `upgrade` send, and what nc, curl and stray clients do.
func FuzzHandle(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, endless := range []bool{false, len(in) > 0} {
			c := &fuzzConn{data: in, endless: endless}
			h := &recorder{}
			handle(c, h)
			if c.read > maxLine {
				t.Fatalf("endless %v: read %d bytes", endless, c.read)
			}
			first, _, complete := bytes.Cut(in, []byte("\n"))
			if !complete && !endless && len(in) < maxLine {
				if c.out.Len() > 0 || len(h.calls) > 0 {
					t.Fatalf("%q: closed before a command, yet %v and reply %q", in, h.calls, c.out.Bytes())
				}
				continue
			}
			if c.out.Len() > maxReply {
				t.Fatalf("%q: %d-byte reply", in, c.out.Len())
			}
			reply, rest, ok := bytes.Cut(c.out.Bytes(), []byte("\n"))
			if !ok || len(rest) > 0 {
				t.Fatalf("%q: reply %q is not one line", in, c.out.Bytes())
			}
			var r Reply
			if err := json.Unmarshal(reply, &r); err != nil {
				t.Fatalf("%q: reply %q: %v", in, reply, err)
			}
			// The line handle judged: the first one, or, if none ends
			// within maxLine bytes, those bytes (repeated if endless).
			line := string(first)
			if !complete || len(first) >= maxLine {
				stream := in
				for endless && len(stream) < maxLine {
					stream = append(stream, in...)
				}
				line = string(stream[:min(maxLine, len(stream))])
				if i := strings.IndexByte(line, '\n'); i >= 0 {
					line = line[:i]
				}
			}
			var want []string
			switch cmd := strings.TrimSpace(line); cmd {
			case "status", "reload":
				want = []string{cmd}
			case "stop", "upgrade":
				want = []string{cmd, "finish " + cmd}
			}
			if r.OK != (want != nil) || strings.Join(h.calls, ",") != strings.Join(want, ",") {
				t.Fatalf("%q: line %q: reply %+v, calls %v, want %v", in, line, r, h.calls, want)
			}
		}
	})
}
