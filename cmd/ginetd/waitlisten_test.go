package main

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rogpeppe/go-internal/testscript"
)

// waitlisten IP:PORT: wait (10 s) until a TCP socket listens on IP:PORT
// (or on the wildcard address and PORT). It is how a script waits for a program to be ready to take
// connections without connecting to it.
func cmdWaitListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! waitlisten")
	}
	if len(args) != 1 {
		ts.Fatalf("usage: waitlisten IP:PORT")
	}
	ap, err := netip.ParseAddrPort(args[0])
	if err != nil {
		ts.Fatalf("waitlisten: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !tcpListens(ap) {
		if time.Now().After(deadline) {
			ts.Fatalf("nothing listens on %s after 10s", ap)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tcpListens reports whether a TCP socket in the LISTEN state is bound to
// ap, or to the wildcard address of its family and ap's port. It asks
// the kernel (sock_diag(7)) for the listening sockets only: reading
// /proc/net/tcp takes long on a machine with many connections in
// TIME_WAIT.
func tcpListens(ap netip.AddrPort) bool {
	family := uint8(unix.AF_INET)
	if ap.Addr().Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_INET_DIAG)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	// struct nlmsghdr, then struct inet_diag_req_v2: family, protocol,
	// extensions, padding, the states wanted, and a socket id left zero.
	req := make([]byte, unix.SizeofNlMsghdr+56)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	req[16], req[17] = family, unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(req[20:], 1<<10) // TCP_LISTEN
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return false
	}
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return false
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return false
		}
		for _, m := range msgs {
			if m.Header.Type != unix.SOCK_DIAG_BY_FAMILY {
				return false // NLMSG_DONE, or an error
			}
			// struct inet_diag_msg: family, state, timer, retrans,
			// then the id: source port (big-endian), destination
			// port, source address (16 bytes) ...
			d := m.Data
			if len(d) < 24 {
				continue
			}
			port := binary.BigEndian.Uint16(d[4:])
			ip := netip.AddrFrom16([16]byte(d[8:24]))
			if d[0] == unix.AF_INET {
				ip = netip.AddrFrom4([4]byte(d[8:12]))
			}
			if port == ap.Port() && (ip == ap.Addr() || ip.IsUnspecified()) {
				return true
			}
		}
	}
}

// TestTCPListens: waitlisten's check sees a listener on 127.0.0.1 and on
// ::1, and not once it is closed.
func TestTCPListens(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skip(err)
		}
		ap := l.Addr().(*net.TCPAddr).AddrPort()
		if !tcpListens(ap) {
			t.Errorf("%s: listening, not seen", ap)
		}
		other := netip.AddrPortFrom(ap.Addr(), ap.Port()+1)
		if tcpListens(other) && !otherListens(other) {
			t.Errorf("%s: seen, but nothing listens there", other)
		}
		l.Close()
		if tcpListens(ap) {
			t.Errorf("%s: closed, still seen", ap)
		}
	}
}

// otherListens reports whether something else listens on ap.
func otherListens(ap netip.AddrPort) bool {
	c, err := net.DialTimeout("tcp", ap.String(), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
