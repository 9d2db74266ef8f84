package sink

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// resolveTimeout bounds the name lookup of a forwarding host.
const resolveTimeout = 5 * time.Second

// Forward sends each message as an RFC 3164 datagram to a host, or as the
// RFC 5424 line it is given, without its newline, with RFC5424. The name
// is resolved when the sink is opened, that is at start and at each reload.
type Forward struct {
	RFC5424 bool

	name string
	host []byte // this host's name, for the HOSTNAME field
	to   netip.AddrPort
	c    *net.UDPConn
	buf  []byte
}

// OpenForward resolves host and opens a UDP socket to send to host:port.
// myHost is the HOSTNAME put in forwarded messages.
func OpenForward(host, port string, myHost []byte) (*Forward, error) {
	name := net.JoinHostPort(host, port)
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("forward %s: %v", name, err)
	}
	pn, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return nil, fmt.Errorf("forward %s: %w", name, err)
	}
	to := netip.AddrPortFrom(addrs[0].Unmap(), uint16(pn))
	network := "udp4"
	if to.Addr().Is6() {
		network = "udp6"
	}
	c, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, fmt.Errorf("forward %s: %w", name, err)
	}
	return &Forward{name: name, host: myHost, to: to, c: c}, nil
}

// Write sends m; the repeated-message line (m nil) is not forwarded.
func (s *Forward) Write(line []byte, m *msg.Message) error {
	if m == nil {
		return nil
	}
	if s.RFC5424 {
		s.buf = append(s.buf[:0], line...)
		if n := len(s.buf); n > 0 && s.buf[n-1] == '\n' {
			s.buf = s.buf[:n-1]
		}
	} else {
		s.buf = msg.AppendForward(s.buf[:0], m, s.host)
	}
	if _, err := s.c.WriteToUDPAddrPort(s.buf, s.to); err != nil {
		return fmt.Errorf("forward %s: %w", s.name, err)
	}
	return nil
}

// Flush does nothing.
func (s *Forward) Flush() error { return nil }

// Close closes the socket.
func (s *Forward) Close() error { return s.c.Close() }
