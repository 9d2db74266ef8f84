package supervisor

import (
	"bufio"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// tcpmuxTimeout bounds the wait for a client's service name.
const tcpmuxTimeout = 30 * time.Second

// tcpmux runs RFC 1078 on one connection of the tcpmux built-in: read the
// service name, answer HELP or an unknown name itself, and hand a known
// one to the loop, which starts the sub-service's program on the socket.
// The tcpmux service counts the connection as an instance until then.
func (s *Supervisor) tcpmux(mux *service, table map[string]*service, conn net.Conn, peer netip.AddrPort) {
	defer s.send(func(s *Supervisor) { s.release(mux, peer.Addr()) })
	conn.SetDeadline(time.Now().Add(tcpmuxTimeout))
	line, err := bufio.NewReaderSize(conn, 256).ReadString('\n')
	if err != nil {
		conn.Close()
		return
	}
	name := strings.ToUpper(strings.TrimSpace(line))
	if name == "HELP" {
		names := make([]string, 0, len(table))
		for _, sub := range table {
			names = append(names, sub.cfg.Name)
		}
		sort.Strings(names)
		for _, n := range names {
			conn.Write([]byte(n + "\r\n"))
		}
		conn.Close()
		return
	}
	sub := table[name]
	if sub == nil {
		conn.Write([]byte("-Service not available\r\n"))
		conn.Close()
		return
	}
	if sub.cfg.TCPMuxPlus {
		if _, err := conn.Write([]byte("+Go\r\n")); err != nil {
			conn.Close()
			return
		}
	}
	// File returns a blocking duplicate, which is what the child gets.
	f, err := conn.(*net.TCPConn).File()
	conn.Close()
	if err != nil {
		return
	}
	s.send(func(s *Supervisor) {
		if sub.cfg.Builtin != "" {
			f.Close()
			return
		}
		var local netip.AddrPort
		if mux.sock != nil {
			local = mux.sock.Addr
		}
		s.spawn(sub, int(f.Fd()), peer, local)
		f.Close()
	})
}
