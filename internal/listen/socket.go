package listen

import (
	"errors"
	"fmt"
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
	spec     *spec // what the socket was opened from, bound address included
}

// spec is what a socket is opened from, resolved and immutable: Open
// computes it from a service once, and Reopen opens another socket from
// it, with no name to resolve and no service to consult.
type spec struct {
	family, typ int
	sa          unix.Sockaddr // the address to bind; nil for a unix socket
	path        string        // unix socket path
	v6only      int           // IPV6_V6ONLY, for an AF_INET6 socket
	reuse       bool          // SO_REUSEADDR
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
// The bind address must be an IP address, as the loader leaves it: Open
// resolves no name.
func Open(svc *config.Service) (*Socket, error) {
	sp, err := specOf(svc)
	if err != nil {
		return nil, err
	}
	return open(sp, svc.Network())
}

// Reopen opens another socket like s, bound to the address s is bound to
// (the port the kernel chose for a port-0 service included), with s's
// options. It is what a datagram nowait service continues on once s goes
// to a child (see supervisor.dgramNowait). The descriptor is close-on-exec
// and blocking.
func (s *Socket) Reopen() (*Socket, error) {
	if s.spec == nil {
		return nil, errors.New("reopen: socket of unknown origin")
	}
	return open(s.spec, s.Network)
}

// specOf computes the socket svc asks for.
func specOf(svc *config.Service) (*spec, error) {
	typ := unix.SOCK_DGRAM
	if svc.Stream() {
		typ = unix.SOCK_STREAM
	}
	if svc.Proto == config.Unix {
		return &spec{family: unix.AF_UNIX, typ: typ, path: svc.Path}, nil
	}
	host := svc.BindHost()
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil, fmt.Errorf("bind address %q is not an IP address", host)
	}
	ip = ip.Unmap()
	// Every TCP server sets SO_REUSEADDR so that a restart does not wait
	// for TIME_WAIT; it never lets two listeners share a port. A datagram
	// nowait service binds a fresh socket to the same address for every
	// datagram (see supervisor.dgramNowait).
	sp := &spec{typ: typ, reuse: svc.Stream() || svc.Reuse || (!svc.Wait && svc.Builtin == "")}
	v6 := svc.Proto == config.TCP6 || svc.Proto == config.UDP6 || svc.Proto == config.TCP46 || svc.Proto == config.UDP46
	if !v6 && !ip.Is6() {
		if !ip.Is4() {
			return nil, fmt.Errorf("address %s is not IPv4", ip)
		}
		sp.family = unix.AF_INET
		sp.sa = &unix.SockaddrInet4{Port: svc.Port, Addr: ip.As4()}
		return sp, nil
	}
	sp.family = unix.AF_INET6
	sp.v6only = 1
	if svc.Proto == config.TCP46 || svc.Proto == config.UDP46 {
		sp.v6only = 0
	}
	if svc.V6Only != nil {
		sp.v6only = 0
		if *svc.V6Only {
			sp.v6only = 1
		}
	}
	sp.sa = &unix.SockaddrInet6{Port: svc.Port, Addr: ip.As16()} // IPv4 as IPv4-mapped
	return sp, nil
}

// open creates a socket from sp, binds it and, for a stream socket,
// listens.
func open(sp *spec, network string) (*Socket, error) {
	if sp.family == unix.AF_UNIX {
		return openUnix(sp, network)
	}
	fd, err := unix.Socket(sp.family, sp.typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	s := &Socket{FD: fd, Network: network, Stream: sp.typ == unix.SOCK_STREAM}
	if err := s.setup(sp); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return s, nil
}

func (s *Socket) setup(sp *spec) error {
	if sp.reuse {
		err := unix.SetsockoptInt(s.FD, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		if err != nil && s.Stream {
			return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
		}
	}
	if sp.family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(s.FD, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, sp.v6only); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err := unix.Bind(s.FD, sp.sa); err != nil {
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
	b := *sp
	b.sa = bound
	s.spec = &b
	return nil
}

func openUnix(sp *spec, network string) (*Socket, error) {
	if err := removeStale(sp.path, sp.typ); err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, sp.typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	s := &Socket{FD: fd, Network: network, Stream: sp.typ == unix.SOCK_STREAM, Path: sp.path, spec: sp}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: sp.path}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	// The mode is set explicitly rather than left to the umask: any local
	// user may connect, as to /dev/log; restrict access with the
	// directory's permissions.
	if err := os.Chmod(sp.path, 0o666); err != nil {
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
