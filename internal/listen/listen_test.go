package listen

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// TestFromFDKey checks that a socket handed over (binary upgrade, systemd)
// is recognised under the key of the service that opened it, for every
// family and type, and that a stale unix socket file is replaced.
func TestFromFDKey(t *testing.T) {
	dir, err := os.MkdirTemp("", "l")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cases := []*config.Service{
		{Name: "a", SockType: config.Stream, Proto: config.TCP4, Host: "127.0.0.1"},
		{Name: "b", SockType: config.Stream, Proto: config.TCP6, Host: "::1"},
		{Name: "c", SockType: config.Stream, Proto: config.TCP46, Host: "::1"},
		{Name: "d", SockType: config.Dgram, Proto: config.UDP4, Host: "127.0.0.1"},
		{Name: "e", SockType: config.Dgram, Proto: config.UDP6, Host: "::1"},
		{Name: "f", SockType: config.Stream, Proto: config.Unix, Path: filepath.Join(dir, "s")},
	}
	for _, svc := range cases {
		s, err := Open(svc)
		if err != nil {
			t.Fatalf("%s: %v", svc.Proto, err)
		}
		if svc.Proto != config.Unix {
			svc.Port = int(s.Addr.Port()) // what a port-less key would say
		}
		fd, err := unix.Dup(s.FD)
		if err != nil {
			t.Fatal(err)
		}
		in, key, err := FromFD(fd)
		if err != nil {
			t.Fatalf("%s: %v", svc.Proto, err)
		}
		want := svc.Key()
		if svc.Proto == config.TCP46 {
			// The kernel makes a socket bound to a specific IPv6 address
			// IPv6-only: the supervisor also looks for it as tcp6.
			want = "tcp6" + strings.TrimPrefix(want, "tcp46")
		}
		if key != want {
			t.Errorf("%s: FromFD key %q, service key %q", svc.Proto, key, want)
		}
		in.Detach()
		s.Close()
	}
	// A unix socket file left by a dead process is replaced.
	stale := &config.Service{Name: "g", SockType: config.Stream, Proto: config.Unix, Path: filepath.Join(dir, "stale")}
	s1, err := Open(stale)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(s1.FD) // dies without unlinking
	s2, err := Open(stale)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	// A live one is not.
	if _, err := Open(stale); err == nil {
		t.Fatal("opened a unix socket that is in use")
	}
	s2.Close()
	if _, err := os.Stat(stale.Path); !os.IsNotExist(err) {
		t.Errorf("socket file left after Close: %v", err)
	}
}

// TestReopen checks that a datagram nowait service's fresh socket is bound
// to the address of the one it replaces (the kernel's port for port 0),
// with its options, whether ginetd opened that socket or inherited it,
// and that the fresh socket receives what is sent to the address.
func TestReopen(t *testing.T) {
	for _, svc := range []*config.Service{
		{Name: "a", SockType: config.Dgram, Proto: config.UDP4, Host: "127.0.0.1"},
		{Name: "b", SockType: config.Dgram, Proto: config.UDP6, Host: "::1"},
		{Name: "c", SockType: config.Dgram, Proto: config.UDP46, Host: "::"},
	} {
		s, err := Open(svc)
		if err != nil {
			t.Fatalf("%s: %v", svc.Proto, err)
		}
		fd, err := unix.Dup(s.FD)
		if err != nil {
			t.Fatal(err)
		}
		in, _, err := FromFD(fd)
		if err != nil {
			t.Fatal(err)
		}
		for _, old := range []*Socket{s, in} {
			fresh, err := old.Reopen()
			if err != nil {
				t.Fatalf("%s: Reopen: %v", svc.Proto, err)
			}
			if fresh.Addr != s.Addr || fresh.Network != old.Network {
				t.Errorf("%s: fresh socket %s %v, want %s %v", svc.Proto, fresh.Network, fresh.Addr, old.Network, s.Addr)
			}
			only, _ := unix.GetsockoptInt(fresh.FD, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
			want, _ := unix.GetsockoptInt(s.FD, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
			if only != want {
				t.Errorf("%s: IPV6_V6ONLY %d, want %d", svc.Proto, only, want)
			}
			// The socket bound last gets new datagrams.
			to := s.Addr
			if svc.Proto == config.UDP46 {
				to = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), s.Addr.Port())
			}
			c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("x"))
			c.Close()
			buf := make([]byte, 8)
			unix.SetsockoptTimeval(fresh.FD, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 10})
			if n, _, err := unix.Recvfrom(fresh.FD, buf, 0); err != nil || string(buf[:n]) != "x" {
				t.Errorf("%s: fresh socket read %q, %v", svc.Proto, buf[:n], err)
			}
			fresh.Close()
		}
		in.Close()
		s.Close()
	}
}

// TestOpenResolvesNothing checks that a bind address that is a name, which
// the loader resolves before a socket is opened, is refused, not looked up.
func TestOpenResolvesNothing(t *testing.T) {
	_, err := Open(&config.Service{Name: "a", SockType: config.Stream, Proto: config.TCP4, Host: "localhost"})
	if err == nil || !strings.Contains(err.Error(), "not an IP address") {
		t.Fatalf("Open with a host name: %v, want a refusal", err)
	}
}
