package listen

import (
	"net"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// QueuedSenders lists the senders of the queue, leaving every datagram in
// place; Seal keeps later datagrams out.
func TestQueuedSendersAndSeal(t *testing.T) {
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
	b.Write([]byte("3"))
	other := b.LocalAddr().(*net.UDPAddr).AddrPort()
	if got, ok := QueuedSenders(s.FD, buf, 8); !ok || !slices.Equal(got, []netip.AddrPort{from, from, other}) {
		t.Errorf("QueuedSenders = %v, %v", got, ok)
	}
	if got, ok := QueuedSenders(s.FD, buf, 2); ok {
		t.Errorf("three datagrams passed a limit of 2: %v", got)
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

// An empty datagram that was peeked at (as the supervisor does to learn
// the first sender) is passed over by the walk, and nothing else is.
func TestQueuedSendersEmpty(t *testing.T) {
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
	buf := make([]byte, 65536)
	a.Write(nil)
	b.Write(nil)
	var ra RawAddr
	if n, err := RecvFrom(s.FD, buf[:1], unix.MSG_PEEK|unix.MSG_DONTWAIT, &ra); err != nil || n != 0 {
		t.Fatalf("peek: %d, %v", n, err)
	}
	got, ok := QueuedSenders(s.FD, buf, 8)
	if want := []netip.AddrPort{b.LocalAddr().(*net.UDPAddr).AddrPort()}; !ok || !slices.Equal(got, want) {
		t.Errorf("QueuedSenders = %v, %v; want %v", got, ok, want)
	}
}
