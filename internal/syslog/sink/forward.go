package sink

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// resolveTimeout bounds the name lookup of a forwarding host.
const resolveTimeout = 5 * time.Second

// Forward sends each message as an RFC 3164 datagram to a host, or as the
// RFC 5424 line it is given, without its newline, with RFC5424. The name
// is resolved when the sink is opened, that is at start and at each reload.
//
// A send never waits: a datagram the socket does not take at once (its
// send buffer is full, EAGAIN) is lost, and Write says so, as a full pipe
// does. (net.UDPConn's WriteTo would wait for room, without a deadline,
// and hold up the reading of every input.)
type Forward struct {
	RFC5424 bool

	name string
	host []byte // this host's name, for the HOSTNAME field
	to   unix.Sockaddr
	c    *net.UDPConn
	rc   syscall.RawConn
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
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("forward %s: %w", name, err)
	}
	return &Forward{name: name, host: myHost, to: sockaddr(to), c: c, rc: rc}, nil
}

// sockaddr converts an address for sendto(2).
func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
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
	if err := s.send(); err != nil {
		return fmt.Errorf("forward %s: %w", s.name, err)
	}
	return nil
}

// send makes one attempt to send s.buf, never waiting for room.
func (s *Forward) send() error {
	var serr error
	err := s.rc.Write(func(fd uintptr) bool {
		for {
			serr = unix.Sendto(int(fd), s.buf, unix.MSG_DONTWAIT, s.to)
			if serr != unix.EINTR {
				return true // done, whatever came: never wait for the socket
			}
		}
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("sendto", serr)
	}
	return nil
}

// Flush does nothing.
func (s *Forward) Flush() error { return nil }

// Close closes the socket.
func (s *Forward) Close() error { return s.c.Close() }
