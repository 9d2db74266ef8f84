package frontdoor

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// rawRead reads what is queued on c's descriptor with read(2), bypassing
// every Go buffer, until want bytes have arrived or a second has passed.
func rawRead(t *testing.T, c *net.TCPConn, want int) []byte {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	defer c.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < want {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), buf)
			return rerr != unix.EAGAIN
		})
		if err != nil || rerr != nil || n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	return got
}

func addrs(c net.Conn) (peer, local netip.AddrPort) {
	return c.RemoteAddr().(*net.TCPAddr).AddrPort(), c.LocalAddr().(*net.TCPAddr).AddrPort()
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// TestReadProxySocket runs every parse case through a real socket, with
// the header and a payload in one write, and checks that the payload is
// still in the socket afterwards.
func TestReadProxySocket(t *testing.T) {
	payload := []byte("payload after the header\n")
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := tcpPair(t)
			peer, local := addrs(server)
			in := append(append([]byte{}, tc.in...), payload...)
			if tc.err != nil {
				in = tc.in
			}
			if _, err := client.Write(in); err != nil {
				t.Fatal(err)
			}
			client.CloseWrite()
			src, dst, err := ReadProxy(server, peer, local, ProxyPolicy{Trusted: loopback, Timeout: 2 * time.Second})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantSrc, wantDst := peer, local
			if tc.found && !tc.local {
				wantSrc, wantDst = ap(tc.src), ap(tc.dst)
			}
			if src != wantSrc || dst != wantDst {
				t.Errorf("src, dst = %v, %v; want %v, %v", src, dst, wantSrc, wantDst)
			}
			rest := in
			if tc.found {
				rest = payload
			}
			if got := rawRead(t, server, len(rest)); !bytes.Equal(got, rest) {
				t.Errorf("left in socket: %q, want %q", got, rest)
			}
		})
	}
}

var hdrV1 = []byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n")

func TestReadProxyPolicy(t *testing.T) {
	other := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name   string
		send   []byte
		closeW bool
		policy ProxyPolicy
		err    error
		real   bool // want the header's addresses
	}{
		{name: "trusted optional header", send: hdrV1, policy: ProxyPolicy{Trusted: loopback}, real: true},
		{name: "trusted required header", send: hdrV1, policy: ProxyPolicy{Trusted: loopback, Required: true}, real: true},
		{name: "untrusted optional header", send: hdrV1, policy: ProxyPolicy{Trusted: other}, err: ErrUntrusted},
		{name: "untrusted optional v2 header", send: v2(0, 0, nil), policy: ProxyPolicy{Trusted: other}, err: ErrUntrusted},
		{name: "untrusted required", send: hdrV1, policy: ProxyPolicy{Trusted: other, Required: true}, err: ErrUntrusted},
		{name: "nobody trusted", send: hdrV1, policy: ProxyPolicy{}, err: ErrUntrusted},
		{name: "untrusted optional no header", send: []byte("hello\n"), policy: ProxyPolicy{Trusted: other}},
		{name: "trusted optional no header", send: []byte("hello\n"), policy: ProxyPolicy{Trusted: loopback}},
		{name: "trusted required no header", send: []byte("hello\n"), policy: ProxyPolicy{Trusted: loopback, Required: true}, err: ErrMissing},
		{name: "required silence", policy: ProxyPolicy{Trusted: loopback, Required: true}, err: ErrMissing},
		{name: "optional silence", policy: ProxyPolicy{Trusted: loopback}},
		{name: "required eof", closeW: true, policy: ProxyPolicy{Trusted: loopback, Required: true}, err: ErrMissing},
		{name: "optional eof", closeW: true, policy: ProxyPolicy{Trusted: loopback}},
		{name: "optional prefix then silence", send: []byte("PRO"), policy: ProxyPolicy{Trusted: loopback}},
		{name: "partial header then silence", send: hdrV1[:20], policy: ProxyPolicy{Trusted: loopback}, err: ErrMalformed},
		{name: "partial v2 then silence", send: v2(1, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 1, 2))[:17], policy: ProxyPolicy{Trusted: loopback}, err: ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := tcpPair(t)
			peer, local := addrs(server)
			client.Write(tc.send)
			if tc.closeW {
				client.CloseWrite()
			}
			tc.policy.Timeout = 200 * time.Millisecond
			src, dst, err := ReadProxy(server, peer, local, tc.policy)
			if tc.err != nil || err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if tc.real {
				if src != ap("192.0.2.1:56324") || dst != ap("198.51.100.2:443") {
					t.Errorf("src, dst = %v, %v", src, dst)
				}
				return
			}
			if src != peer || dst != local {
				t.Errorf("src, dst = %v, %v; want the kernel's %v, %v", src, dst, peer, local)
			}
			if got := rawRead(t, server, len(tc.send)); !bytes.Equal(got, tc.send) {
				t.Errorf("left in socket: %q, want %q", got, tc.send)
			}
		})
	}
}

// TestReadProxyTrickle sends the header one byte at a time, then a payload.
func TestReadProxyTrickle(t *testing.T) {
	for _, hdr := range [][]byte{hdrV1, v2(1, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 56324, 443), tlv(1, "h2"))} {
		client, server := tcpPair(t)
		client.SetNoDelay(true)
		peer, local := addrs(server)
		go func() {
			for i := range hdr {
				client.Write(hdr[i : i+1])
				time.Sleep(time.Millisecond)
			}
			client.Write([]byte("payload"))
		}()
		src, dst, err := ReadProxy(server, peer, local, ProxyPolicy{Trusted: loopback, Required: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if src != ap("192.0.2.1:56324") || dst != ap("198.51.100.2:443") {
			t.Errorf("src, dst = %v, %v", src, dst)
		}
		if got := rawRead(t, server, 7); string(got) != "payload" {
			t.Errorf("left in socket: %q", got)
		}
	}
}

// TestReadProxyLargeV2 has TLVs beyond the pooled peek buffer.
func TestReadProxyLargeV2(t *testing.T) {
	client, server := tcpPair(t)
	peer, local := addrs(server)
	hdr := v2(1, 0x21, v6addrs("2001:db8::1", "2001:db8::2", 1, 2), tlv(0x04, string(bytes.Repeat([]byte{'x'}, 3000))))
	go client.Write(append(hdr, "payload"...))
	src, _, err := ReadProxy(server, peer, local, ProxyPolicy{Trusted: loopback, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if src != ap("[2001:db8::1]:1") {
		t.Errorf("src = %v", src)
	}
	if got := rawRead(t, server, 7); string(got) != "payload" {
		t.Errorf("left in socket: %q", got)
	}
}

func TestReadProxyNotSocket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	_, _, err := ReadProxy(a, ap("127.0.0.1:1"), ap("127.0.0.1:2"), ProxyPolicy{Trusted: loopback})
	if err == nil {
		t.Fatal("ReadProxy on a pipe succeeded")
	}
}

// TestReadProxyUntrustedLongV2 is a peer nobody trusts that declares the
// longest v2 header and sends only its first 16 bytes: it is refused at the
// signature, without waiting for (or buffering) the 64 KiB it announced.
func TestReadProxyUntrustedLongV2(t *testing.T) {
	client, server := tcpPair(t)
	peer, local := addrs(server)
	hdr := append(append([]byte{}, v2Sig...), 0x21, 0x11, 0xff, 0xff)
	if _, err := client.Write(hdr); err != nil {
		t.Fatal(err)
	}
	other := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	// Without the refusal at the signature ReadProxy waits the whole
	// timeout for the rest and fails with ErrMalformed.
	_, _, err := ReadProxy(server, peer, local, ProxyPolicy{Trusted: other, Timeout: time.Minute})
	if !errors.Is(err, ErrUntrusted) {
		t.Fatalf("err = %v, want ErrUntrusted", err)
	}
}
