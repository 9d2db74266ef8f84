package listen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// Backlog is the listen(2) backlog of stream sockets; the kernel caps it
// at net.core.somaxconn.
const Backlog = 4096

// Socket is one open service socket. The Socket owns FD until Close.
type Socket struct {
	FD       int
	Network  string // "tcp4", "tcp6", "tcp", "udp4", "udp6", "udp", "unix", "unixgram"
	Stream   bool
	Path     string         // unix socket path, removed by Close
	Addr     netip.AddrPort // bound address (invalid for unix sockets)
	nonblock bool
}

// String returns the bound address: "host:port" or the unix path.
func (s *Socket) String() string {
	if s.Path != "" {
		return s.Path
	}
	return s.Addr.String()
}

// Open creates, binds and (for stream sockets) listens on the socket for
// svc. The descriptor is close-on-exec and blocking; see SetNonblock.
func Open(svc *config.Service) (*Socket, error) {
	if svc.Proto == config.Unix {
		return openUnix(svc)
	}
	host := svc.BindHost()
	ip, err := netip.ParseAddr(host)
	if err != nil {
		ips, lerr := net.DefaultResolver.LookupNetIP(context.Background(), ipNet(svc.Proto), host)
		if lerr != nil || len(ips) == 0 {
			return nil, fmt.Errorf("resolve %q: %v", host, lerr)
		}
		ip = ips[0]
	}
	ip = ip.Unmap()
	family := unix.AF_INET
	v6 := svc.Proto == config.TCP6 || svc.Proto == config.UDP6 || svc.Proto == config.TCP46 || svc.Proto == config.UDP46
	if v6 || ip.Is6() {
		family = unix.AF_INET6
	}
	typ := unix.SOCK_DGRAM
	if svc.Stream() {
		typ = unix.SOCK_STREAM
	}
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	s := &Socket{FD: fd, Network: svc.Network(), Stream: svc.Stream()}
	if err := s.setup(svc, family, ip); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return s, nil
}

func ipNet(proto string) string {
	switch proto {
	case config.TCP4, config.UDP4:
		return "ip4"
	case config.TCP6, config.UDP6:
		return "ip6"
	}
	return "ip"
}

func (s *Socket) setup(svc *config.Service, family int, ip netip.Addr) error {
	if s.Stream {
		// Every TCP server sets SO_REUSEADDR so that a restart does not
		// wait for TIME_WAIT; it never lets two listeners share a port.
		if err := unix.SetsockoptInt(s.FD, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
		}
	} else if svc.Reuse || (!svc.Wait && svc.Builtin == "") {
		// A datagram nowait service binds a fresh socket to the same
		// address for every datagram (see supervisor.dgramNowait).
		unix.SetsockoptInt(s.FD, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}
	var sa unix.Sockaddr
	if family == unix.AF_INET6 {
		v6only := 1
		if svc.Proto == config.TCP46 || svc.Proto == config.UDP46 {
			v6only = 0
		}
		if svc.V6Only != nil {
			v6only = 0
			if *svc.V6Only {
				v6only = 1
			}
		}
		if err := unix.SetsockoptInt(s.FD, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
		a := &unix.SockaddrInet6{Port: svc.Port, Addr: ip.As16()}
		if ip.Is4() {
			a.Addr = netip.AddrFrom16(ip.As16()).As16()
		}
		sa = a
	} else {
		if !ip.Is4() {
			return fmt.Errorf("address %s is not IPv4", ip)
		}
		sa = &unix.SockaddrInet4{Port: svc.Port, Addr: ip.As4()}
	}
	if err := unix.Bind(s.FD, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	if s.Stream {
		if err := unix.Listen(s.FD, Backlog); err != nil {
			return os.NewSyscallError("listen", err)
		}
	}
	bound, err := unix.Getsockname(s.FD)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	s.Addr = AddrPort(bound)
	return nil
}

func openUnix(svc *config.Service) (*Socket, error) {
	typ := unix.SOCK_DGRAM
	if svc.Stream() {
		typ = unix.SOCK_STREAM
	}
	if err := removeStale(svc.Path, typ); err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	s := &Socket{FD: fd, Network: svc.Network(), Stream: svc.Stream(), Path: svc.Path}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: svc.Path}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	// The mode is set explicitly rather than left to the umask: any local
	// user may connect, as to /dev/log; restrict access with the
	// directory's permissions.
	if err := os.Chmod(svc.Path, 0o666); err != nil {
		s.Close()
		return nil, err
	}
	if s.Stream {
		if err := unix.Listen(fd, Backlog); err != nil {
			s.Close()
			return nil, os.NewSyscallError("listen", err)
		}
	}
	return s, nil
}

// removeStale removes a unix socket left at path by a process that is gone:
// one that refuses connections. A live socket or any other kind of file is
// an error.
func removeStale(path string, typ int) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
	unix.Close(fd)
	if err == nil {
		return fmt.Errorf("%s: address already in use", path)
	}
	return os.Remove(path)
}

// SetNonblock sets or clears O_NONBLOCK on the socket's file description.
// Accepting and reading sockets need it; wait-service sockets, shared with
// a child, are kept blocking as a C program expects.
func (s *Socket) SetNonblock(on bool) error {
	if s.nonblock == on {
		return nil
	}
	if err := unix.SetNonblock(s.FD, on); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	s.nonblock = on
	return nil
}

// ForceBlocking clears O_NONBLOCK whatever SetNonblock last did: a wait
// service's child shares the file description and may have set it (a Go
// server does), and the next child expects a blocking socket.
func (s *Socket) ForceBlocking() error {
	if err := unix.SetNonblock(s.FD, false); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	s.nonblock = false
	return nil
}

// Close closes the descriptor and removes a unix socket's path.
func (s *Socket) Close() error {
	err := unix.Close(s.FD)
	s.FD = -1
	if s.Path != "" {
		os.Remove(s.Path)
	}
	return err
}

// AddrPort converts a kernel socket address to a netip.AddrPort, with
// IPv4-mapped IPv6 addresses shown as plain IPv4.
func AddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr).Unmap()
		if a.ZoneId != 0 && ip.Is6() {
			ip = ip.WithZone(strconv.Itoa(int(a.ZoneId)))
		}
		return netip.AddrPortFrom(ip, uint16(a.Port))
	}
	return netip.AddrPort{}
}

// Sockaddr converts ap to a kernel socket address of the given family.
func Sockaddr(ap netip.AddrPort, family int) unix.Sockaddr {
	if family == unix.AF_INET6 {
		return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
}
