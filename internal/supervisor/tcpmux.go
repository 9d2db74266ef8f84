package supervisor

import (
	"errors"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/listen"
)

const (
	tcpmuxTimeout = 30 * time.Second // bounds the wait for a client's service name
	tcpmuxMaxLine = 256              // bytes read at most for it
)

// tcpmuxBlanks are trimmed from a request line: the CR of its CRLF and
// the ASCII blanks a sloppy client may add. Not Unicode's spaces: a
// configuration's name may end in one (xinetd.conf splits words at ASCII
// blanks only), and the name HELP lists must name its sub-service when
// sent back.
const tcpmuxBlanks = " \t\r\v\f"

// tcpmuxUnknown is the answer to a name no sub-service has.
var tcpmuxUnknown = []byte("-Service not available\r\n")

// tcpmux runs RFC 1078 on one connection of the tcpmux built-in: read the
// service name, answer HELP or an unknown name itself, and hand a known
// one to the loop, which admits the client to the sub-service as the
// accept path does (serve) and starts its program on the socket.
// The tcpmux service counts the connection as an instance until then.
//
// table and help are the loop's as the connection came: a reload gives the
// service new ones and changes neither, and the goroutine reads nothing
// else of the loop's.
func (s *Supervisor) tcpmux(mux *service, table map[string]*service, help []byte, conn net.Conn, peer netip.AddrPort) {
	defer s.send(func(s *Supervisor) { s.release(mux, peer.Addr()) })
	conn.SetDeadline(time.Now().Add(tcpmuxTimeout))
	line, err := readLine(conn, tcpmuxMaxLine)
	if err != nil {
		conn.Close()
		return
	}
	sub, reply := tcpmuxLookup(line, table, help)
	if sub == nil {
		conn.Write(reply)
		conn.Close()
		return
	}
	fd, err := listen.TakeConn(conn)
	if err != nil {
		return
	}
	// The sub-service's client is judged exactly as a client of a
	// service of its own (serve: access control, limits, spawn rate);
	// "+Go" is sent only to an admitted one, "-..." to a refused one.
	if !s.send(func(s *Supervisor) {
		var local netip.AddrPort
		if mux.sock != nil {
			local = mux.sock.Addr
		}
		s.serve(sub, fd, peer, local, nil, s.clock.Now())
	}) {
		unix.Close(fd)
	}
}

// tcpmuxLookup returns the sub-service that a client's request line
// names (case-insensitive, RFC 1078), or else what the client is
// answered: for HELP help (tcpmuxHelp), for any other name tcpmuxUnknown,
// which never repeats what the client sent.
func tcpmuxLookup(line string, table map[string]*service, help []byte) (*service, []byte) {
	name := strings.ToUpper(strings.Trim(line, tcpmuxBlanks))
	if name == "HELP" {
		return nil, help
	}
	if sub := table[name]; sub != nil {
		return sub, nil
	}
	return nil, tcpmuxUnknown
}

// tcpmuxHelp is the answer to HELP: the names of the sub-services in
// table, one a line. The loop builds it with the table.
func tcpmuxHelp(table map[string]*service) []byte {
	names := make([]string, 0, len(table))
	for _, sub := range table {
		names = append(names, sub.cfg.Name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// readLine reads one line a byte at a time, so that nothing the client
// sent after it is taken from the socket the child inherits.
func readLine(c net.Conn, max int) (string, error) {
	var b [1]byte
	line := make([]byte, 0, 64)
	for len(line) < max {
		if _, err := c.Read(b[:]); err != nil {
			return "", err
		}
		if b[0] == '\n' {
			return string(line), nil
		}
		line = append(line, b[0])
	}
	return "", errors.New("tcpmux: service name too long")
}
