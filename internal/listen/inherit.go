package listen

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// FromFD adopts an inherited socket (systemd socket activation, or the
// previous ginetd of a binary upgrade) and returns it with its identity
// key, in the form config.Service.Key gives: "tcp4 127.0.0.1:13",
// "tcp6 [::1]:13", "tcp46 [::]:13", "udp4 ...", "unix-stream /path". The
// descriptor is made close-on-exec. The Socket owns fd from then on.
func FromFD(fd int) (*Socket, string, error) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return nil, "", fmt.Errorf("fd %d: %w", fd, os.NewSyscallError("getsockopt SO_TYPE", err))
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, "", fmt.Errorf("fd %d: %w", fd, os.NewSyscallError("getsockname", err))
	}
	unix.CloseOnExec(fd)
	fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	s := &Socket{FD: fd, Stream: typ == unix.SOCK_STREAM, nonblock: fl&unix.O_NONBLOCK != 0}
	if s.Stream {
		if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || on == 0 {
			return nil, "", fmt.Errorf("fd %d: a stream socket that is not listening", fd)
		}
	}
	sp := &spec{typ: typ, sa: sa}
	if reuse, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR); reuse != 0 {
		sp.reuse = true
	}
	s.spec = sp
	tcp, udp := "tcp", "udp"
	switch a := sa.(type) {
	case *unix.SockaddrUnix:
		sp.family, sp.sa, sp.path = unix.AF_UNIX, nil, a.Name
		s.Path = a.Name
		s.Network = "unix"
		kind := "unix-stream "
		if !s.Stream {
			s.Network, kind = "unixgram", "unix-dgram "
		}
		return s, kind + a.Name, nil
	case *unix.SockaddrInet4:
		sp.family = unix.AF_INET
		tcp, udp = "tcp4", "udp4"
	case *unix.SockaddrInet6:
		only, _ := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		sp.family, sp.v6only = unix.AF_INET6, only
		if only == 1 {
			tcp, udp = "tcp6", "udp6"
		} else {
			tcp, udp = "tcp46", "udp46"
		}
	default:
		return nil, "", fmt.Errorf("fd %d: unsupported address family", fd)
	}
	s.Addr = AddrPort(sa)
	proto := udp
	if s.Stream {
		proto = tcp
	}
	s.Network = proto
	return s, proto + " " + s.String(), nil
}

// Detach closes the socket's descriptor without removing a unix socket's
// path: another process (the new ginetd of an upgrade) serves it now.
func (s *Socket) Detach() error {
	s.Path = ""
	return s.Close()
}
