package supervisor

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// streamConn is the client's side of a connection as a tcpmux reader
// sees it: Read serves data, and then, if endless, data again for ever
// (an attacker who never stops sending); read counts what was taken.
type streamConn struct {
	net.Conn
	data    []byte
	endless bool
	off     int
	read    int
}

func (c *streamConn) Read(b []byte) (int, error) {
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

func (c *streamConn) SetDeadline(time.Time) error { return nil }

// FuzzTCPMuxRequest checks the reading of a tcpmux client's request line
// (readLine, tcpmuxLookup) against a table holding the sub-service names
// of the seeds and one chosen by the fuzzer: at most tcpmuxMaxLine bytes
// are read whatever the client sends, even without end, and never a byte
// past the newline (the rest is the child's); the line is the bytes
// before it; a name that no sub-service has is answered with the fixed
// refusal, which repeats nothing the client sent; and every name in the
// HELP answer, sent back as a request, names that sub-service
// (round trip), whatever its case. The seeds (testdata/fuzz) are the
// exchanges of tcpmux.txtar and of the soak's clients.
func FuzzTCPMuxRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte, name string) {
		table := make(map[string]*service)
		for _, n := range []string{"soakprobe", "soakcat", name} {
			// A config field holds no blank, no control character and
			// is not HELP; its key is its upper case. (A name too long
			// for a request line could not be asked for.)
			if n == "" || len(n) > tcpmuxMaxLine-2 || strings.ContainsFunc(n, func(r rune) bool { return r <= ' ' || r == 0x7f }) || strings.EqualFold(n, "HELP") {
				continue
			}
			table[strings.ToUpper(n)] = &service{cfg: &config.Service{Name: n}}
		}

		for _, endless := range []bool{false, true} {
			c := &streamConn{data: in, endless: endless}
			line, err := readLine(c, tcpmuxMaxLine)
			if c.read > tcpmuxMaxLine {
				t.Fatalf("endless %v: read %d bytes", endless, c.read)
			}
			nl := bytes.IndexByte(in, '\n')
			switch {
			case nl >= 0 && nl < tcpmuxMaxLine:
				if err != nil || line != string(in[:nl]) || c.read != nl+1 {
					t.Fatalf("line %q, %v after %d bytes; want %q after %d", line, err, c.read, in[:nl], nl+1)
				}
			case err == nil:
				if !endless || len(in) == 0 {
					t.Fatalf("line %q without a newline in the first %d bytes", line, tcpmuxMaxLine)
				}
			}
			if err != nil {
				continue
			}
			sub, reply := tcpmuxLookup(line, table, tcpmuxHelp(table))
			if sub != nil {
				if reply != nil || !strings.EqualFold(sub.cfg.Name, strings.Trim(line, tcpmuxBlanks)) {
					t.Fatalf("%q names %q", line, sub.cfg.Name)
				}
				continue
			}
			if strings.EqualFold(strings.Trim(line, tcpmuxBlanks), "HELP") {
				checkHelp(t, reply, table)
			} else if !bytes.Equal(reply, tcpmuxUnknown) {
				t.Fatalf("%q answered %q", line, reply)
			}
		}
	})
}

// checkHelp checks that HELP lists every sub-service once, each on a
// CRLF line that, sent back as a request, names it.
func checkHelp(t *testing.T, reply []byte, table map[string]*service) {
	t.Helper()
	seen := 0
	for rest := reply; len(rest) > 0; seen++ {
		c := &streamConn{data: rest}
		line, err := readLine(c, tcpmuxMaxLine)
		if err != nil || !strings.HasSuffix(line, "\r") {
			t.Fatalf("HELP answer %q: line %q, %v", reply, line, err)
		}
		rest = rest[c.read:]
		sub, _ := tcpmuxLookup(line, table, nil)
		if sub == nil || sub.cfg.Name+"\r" != line {
			t.Fatalf("HELP lists %q, which names %v", line, sub)
		}
	}
	if seen != len(table) {
		t.Fatalf("HELP lists %d of %d: %q", seen, len(table), reply)
	}
}
