package frontdoor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// slicePeeker feeds readHeader from a byte slice: exactly the bytes asked
// for (as a careful reader would) or everything at once (as MSG_PEEK does).
type slicePeeker struct {
	data   []byte
	greedy bool
	max    int // most bytes ever looked at
}

func (p *slicePeeker) peek(n int) ([]byte, error) {
	if n > len(p.data) {
		p.max = len(p.data)
		return p.data, errEOF
	}
	if p.greedy {
		p.max = len(p.data)
		return p.data, nil
	}
	p.max = max(p.max, n)
	return p.data[:n], nil
}

// v2 builds a v2 header.
func v2(cmd, fam byte, addrs []byte, tlvs ...[]byte) []byte {
	body := append([]byte{}, addrs...)
	for _, t := range tlvs {
		body = append(body, t...)
	}
	b := append([]byte{}, v2Sig...)
	b = append(b, 0x20|cmd, fam, 0, 0)
	binary.BigEndian.PutUint16(b[14:], uint16(len(body)))
	return append(b, body...)
}

func tlv(typ byte, val string) []byte {
	return append([]byte{typ, byte(len(val) >> 8), byte(len(val))}, val...)
}

func v4addrs(src, dst string, sp, dp uint16) []byte {
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	b := append(s[:], d[:]...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, sp), dp)
}

func v6addrs(src, dst string, sp, dp uint16) []byte {
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	b := append(s[:], d[:]...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, sp), dp)
}

var ap = netip.MustParseAddrPort

type parseCase struct {
	name     string
	in       []byte
	found    bool
	local    bool
	src, dst string
	err      error // ErrMalformed or nil
}

var parseCases = []parseCase{
	{name: "v1 tcp4", in: []byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"), found: true, src: "192.0.2.1:56324", dst: "198.51.100.2:443"},
	{name: "v1 tcp6", in: []byte("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n"), found: true, src: "[2001:db8::1]:1", dst: "[2001:db8::2]:65535"},
	{name: "v1 tcp6 mapped", in: []byte("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n"), found: true, src: "192.0.2.1:1", dst: "[::1]:2"},
	{name: "v1 unknown", in: []byte("PROXY UNKNOWN\r\n"), found: true, local: true},
	{name: "v1 unknown with junk", in: []byte("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"), found: true, local: true},
	{name: "v1 longest", in: []byte("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"), found: true, local: true},
	{name: "v1 truncated", in: []byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r"), err: ErrMalformed},
	{name: "v1 no crlf", in: bytes.Repeat([]byte("PROXY "), 20), err: ErrMalformed},
	{name: "v1 lf only", in: []byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n"), err: ErrMalformed},
	{name: "v1 cr only", in: []byte("PROXY TCP4 192.0.2.1\r198.51.100.2 56324 443\r\n"), err: ErrMalformed},
	{name: "v1 bad proto", in: []byte("PROXY UDP4 192.0.2.1 198.51.100.2 56324 443\r\n"), err: ErrMalformed},
	{name: "v1 empty proto", in: []byte("PROXY \r\n"), err: ErrMalformed},
	{name: "v1 tcp4 with v6", in: []byte("PROXY TCP4 ::1 ::1 1 2\r\n"), err: ErrMalformed},
	{name: "v1 tcp6 with v4", in: []byte("PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n"), err: ErrMalformed},
	{name: "v1 zone", in: []byte("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"), err: ErrMalformed},
	{name: "v1 port range", in: []byte("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n"), err: ErrMalformed},
	{name: "v1 port sign", in: []byte("PROXY TCP4 1.2.3.4 1.2.3.4 +1 2\r\n"), err: ErrMalformed},
	{name: "v1 missing port", in: []byte("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n"), err: ErrMalformed},
	{name: "v1 double space", in: []byte("PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n"), err: ErrMalformed},
	{name: "v1 extra field", in: []byte("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n"), err: ErrMalformed},
	{name: "v1 control byte", in: []byte("PROXY TCP4 1.2.3.4\x00 1.2.3.4 1 2\r\n"), err: ErrMalformed},
	{name: "v1 signature only", in: []byte("PROXY "), err: ErrMalformed},

	{name: "v2 tcp4", in: v2(1, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 56324, 443)), found: true, src: "192.0.2.1:56324", dst: "198.51.100.2:443"},
	{name: "v2 udp4", in: v2(1, 0x12, v4addrs("192.0.2.1", "198.51.100.2", 1, 2)), found: true, src: "192.0.2.1:1", dst: "198.51.100.2:2"},
	{name: "v2 tcp6", in: v2(1, 0x21, v6addrs("2001:db8::1", "::ffff:10.0.0.1", 1, 2)), found: true, src: "[2001:db8::1]:1", dst: "10.0.0.1:2"},
	{name: "v2 tlvs", in: v2(1, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 1, 2), tlv(0x01, "h2"), tlv(0x02, "example.com"), tlv(0x04, "")), found: true, src: "192.0.2.1:1", dst: "198.51.100.2:2"},
	{name: "v2 local", in: v2(0, 0x00, nil), found: true, local: true},
	{name: "v2 local with addrs", in: v2(0, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 1, 2)), found: true, local: true},
	{name: "v2 unspec", in: v2(1, 0x00, []byte("whatever")), found: true, local: true},
	{name: "v2 unix", in: v2(1, 0x31, make([]byte, 216)), found: true, local: true},
	{name: "v2 proto unspec", in: v2(1, 0x10, v4addrs("192.0.2.1", "198.51.100.2", 1, 2)), found: true, local: true},
	{name: "v2 bad version", in: append(append([]byte{}, v2Sig...), 0x11, 0x11, 0, 0), err: ErrMalformed},
	{name: "v2 bad command", in: v2(2, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 1, 2)), err: ErrMalformed},
	{name: "v2 bad family", in: v2(1, 0x41, nil), err: ErrMalformed},
	{name: "v2 bad proto", in: v2(1, 0x13, nil), err: ErrMalformed},
	{name: "v2 short addrs", in: v2(1, 0x21, v4addrs("192.0.2.1", "198.51.100.2", 1, 2)), err: ErrMalformed},
	{name: "v2 stray bytes", in: v2(1, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 1, 2), []byte{1, 0}), err: ErrMalformed},
	{name: "v2 tlv overrun", in: v2(1, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 1, 2), []byte{1, 0, 9, 'x'}), err: ErrMalformed},
	{name: "v2 truncated fixed", in: v2Sig[:], err: ErrMalformed},
	{name: "v2 truncated body", in: v2(1, 0x11, v4addrs("192.0.2.1", "198.51.100.2", 1, 2))[:20], err: ErrMalformed},

	{name: "empty", in: nil},
	{name: "http", in: []byte("GET / HTTP/1.0\r\n\r\n")},
	{name: "almost v1", in: []byte("PROXZ TCP4 1.2.3.4 1.2.3.4 1 2\r\n")},
	{name: "prefix of v1", in: []byte("PROX")},
	{name: "almost v2", in: []byte("\r\n\r\nhello")},
	{name: "crlf", in: []byte("\r\n")},
}

func TestParseHeader(t *testing.T) {
	for _, tc := range parseCases {
		for _, greedy := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				payload := []byte("after the header")
				in := tc.in
				if tc.err == nil {
					in = append(append([]byte{}, tc.in...), payload...)
				}
				pk := &slicePeeker{data: in, greedy: greedy}
				h, found, err := readHeader(pk, false)
				if tc.err != nil {
					if !errors.Is(err, tc.err) {
						t.Fatalf("err = %v, want %v", err, tc.err)
					}
					return
				}
				if err != nil || found != tc.found {
					t.Fatalf("found, err = %v, %v; want %v", found, err, tc.found)
				}
				if !found {
					return
				}
				if h.n != len(tc.in) {
					t.Errorf("n = %d, want %d", h.n, len(tc.in))
				}
				if !greedy && pk.max > len(tc.in) {
					t.Errorf("looked at %d bytes, header is %d", pk.max, len(tc.in))
				}
				if h.local != tc.local {
					t.Errorf("local = %v, want %v", h.local, tc.local)
				}
				if !tc.local && (h.src != ap(tc.src) || h.dst != ap(tc.dst)) {
					t.Errorf("src, dst = %v, %v; want %v, %v", h.src, h.dst, tc.src, tc.dst)
				}
			})
		}
	}
}

func TestParseTrusted(t *testing.T) {
	got, err := ParseTrusted([]string{"127.0.0.2", "10.0.0.0/8", "::1", "::ffff:192.0.2.0/120", "10.1.2.3/8"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.2/32", "10.0.0.0/8", "::1/128", "192.0.2.0/24", "10.0.0.0/8"}
	for i, p := range got {
		if p.String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "fe80::1%eth0", "1.2.3"} {
		if _, err := ParseTrusted([]string{bad}); err == nil {
			t.Errorf("ParseTrusted(%q) succeeded", bad)
		}
	}
	p := ProxyPolicy{Trusted: got}
	for addr, want := range map[string]bool{"127.0.0.2": true, "::ffff:127.0.0.2": true, "127.0.0.1": false, "10.9.9.9": true, "::1": true, "::2": false, "192.0.2.200": true} {
		if p.trusts(netip.MustParseAddr(addr)) != want {
			t.Errorf("trusts(%s) = %v", addr, !want)
		}
	}
}
