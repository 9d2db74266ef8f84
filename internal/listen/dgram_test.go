package listen

import (
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// QueuedFrom tells a queue of one sender's datagrams from a mixed one,
// leaving every datagram in place; Seal keeps later datagrams out.
func TestQueuedFromAndSeal(t *testing.T) {
	s, err := Open(&config.Service{Name: "t", Proto: config.UDP4, SockType: config.Dgram, Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dst := net.UDPAddrFromAddrPort(s.Addr)
	a, err := net.DialUDP("udp4", nil, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := net.DialUDP("udp4", nil, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	from := a.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, 65536)

	a.Write([]byte("1"))
	a.Write([]byte("2"))
	if !QueuedFrom(s.FD, from, buf, 8) {
		t.Error("a queue of one sender's datagrams failed")
	}
	if QueuedFrom(s.FD, from, buf, 1) {
		t.Error("two datagrams passed a limit of 1")
	}
	b.Write([]byte("3"))
	if QueuedFrom(s.FD, from, buf, 8) {
		t.Error("a mixed queue passed")
	}
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("4"))
	var got []netip.AddrPort
	var ra RawAddr
	for {
		if _, err := RecvFrom(s.FD, buf, unix.MSG_DONTWAIT, &ra); err != nil {
			break
		}
		got = append(got, ra.AddrPort())
	}
	want := []netip.AddrPort{from, from, b.LocalAddr().(*net.UDPAddr).AddrPort()}
	if len(got) != len(want) {
		t.Fatalf("read %v, want %v (all three queued, none after Seal)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("read %v, want %v", got, want)
		}
	}
}

// An empty datagram at the head, peeked at once already (as the
// supervisor does to learn its sender), does not hide what follows it.
func TestQueuedFromEmpty(t *testing.T) {
	s, err := Open(&config.Service{Name: "t", Proto: config.UDP4, SockType: config.Dgram, Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dst := net.UDPAddrFromAddrPort(s.Addr)
	a, _ := net.DialUDP("udp4", nil, dst)
	defer a.Close()
	b, _ := net.DialUDP("udp4", nil, dst)
	defer b.Close()
	from := a.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, 65536)
	a.Write(nil)
	var ra RawAddr
	if _, err := RecvFrom(s.FD, buf[:1], unix.MSG_PEEK|unix.MSG_DONTWAIT, &ra); err != nil || ra.AddrPort() != from {
		t.Fatalf("peek: %v from %v", err, ra.AddrPort())
	}
	if !QueuedFrom(s.FD, from, buf, 8) {
		t.Error("one empty datagram of the sender failed")
	}
	b.Write(nil)
	if QueuedFrom(s.FD, from, buf, 8) {
		t.Error("an empty datagram of another sender passed")
	}
}
