package frontdoor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Header sizes from the PROXY protocol specification (haproxy
// doc/proxy-protocol.txt).
const (
	v1MaxLen = 107 // the longest v1 line, CRLF included
	v2Fixed  = 16  // signature, version/command, family, length
)

var (
	v1Sig = []byte("PROXY ")
	v2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

// errNotHeader means the input does not start with a PROXY signature.
var errNotHeader = errors.New("not a PROXY header")

// header is a parsed PROXY header.
type header struct {
	n        int  // length of the whole header in bytes
	sigLen   int  // length of the signature being matched (6 or 12), 0 if none yet
	version  int  // 1 or 2
	local    bool // use the kernel addresses (v1 UNKNOWN, v2 LOCAL, unsupported families)
	src, dst netip.AddrPort
}

// parseHeader parses the PROXY header at the start of b. It returns one of:
// errNotHeader; another error (wrapping ErrMalformed) for a header that
// began but is invalid; need > len(b), the total number of bytes it must
// see before it can go on; or need <= len(b) and the header, h.n bytes
// long. It never looks beyond what it needs, so that a reader feeding it
// exactly need bytes at a time never reads past the header.
func parseHeader(b []byte) (h header, need int, err error) {
	if len(b) == 0 {
		return h, 1, nil
	}
	switch b[0] {
	case v1Sig[0]:
		h.sigLen = len(v1Sig)
		if need, err := matchSig(b, v1Sig); err != nil || need > len(b) {
			return h, need, err
		}
		return parseV1(b, h)
	case v2Sig[0]:
		h.sigLen = len(v2Sig)
		if need, err := matchSig(b, v2Sig); err != nil || need > len(b) {
			return h, need, err
		}
		return parseV2(b, h)
	}
	return h, 0, errNotHeader
}

// matchSig compares the start of b with sig. It asks for one byte at a
// time so that a short client message that merely begins like a signature
// is recognised as data as soon as it differs.
func matchSig(b, sig []byte) (need int, err error) {
	n := min(len(b), len(sig))
	if !bytes.Equal(b[:n], sig[:n]) {
		return 0, errNotHeader
	}
	if n < len(sig) {
		return n + 1, nil
	}
	return len(sig), nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// parseV1 parses "PROXY TCP4|TCP6|UNKNOWN ...\r\n".
func parseV1(b []byte, h header) (header, int, error) {
	h.version = 1
	limit := min(len(b), v1MaxLen)
	end := -1
	for i := len(v1Sig); i < limit; i++ {
		c := b[i]
		if c == '\n' {
			if b[i-1] != '\r' {
				return h, 0, malformed("v1: LF without CR")
			}
			end = i + 1
			break
		}
		if c != '\r' && (c < 0x20 || c > 0x7e) {
			return h, 0, malformed("v1: byte %#02x in header", c)
		}
		if c == '\r' && i+1 < limit && b[i+1] != '\n' {
			return h, 0, malformed("v1: CR without LF")
		}
	}
	if end < 0 {
		if len(b) >= v1MaxLen {
			return h, 0, malformed("v1: no CRLF within %d bytes", v1MaxLen)
		}
		return h, len(b) + 1, nil
	}
	h.n = end
	line := string(b[len(v1Sig) : end-2])
	f := strings.Split(line, " ")
	switch f[0] {
	case "UNKNOWN":
		h.local = true
		return h, end, nil
	case "TCP4", "TCP6":
	default:
		return h, 0, malformed("v1: unknown protocol %q", f[0])
	}
	if len(f) != 5 {
		return h, 0, malformed("v1: %d fields, want 5", len(f))
	}
	src, err1 := parseV1Addr(f[1], f[3], f[0] == "TCP4")
	dst, err2 := parseV1Addr(f[2], f[4], f[0] == "TCP4")
	if err := errors.Join(err1, err2); err != nil {
		return h, 0, err
	}
	h.src, h.dst = src, dst
	return h, end, nil
}

func parseV1Addr(ip, port string, four bool) (netip.AddrPort, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" || a.Is4() != four {
		return netip.AddrPort{}, malformed("v1: bad address %q", ip)
	}
	if len(port) == 0 || len(port) > 5 || port[0] == '+' {
		return netip.AddrPort{}, malformed("v1: bad port %q", port)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, malformed("v1: bad port %q", port)
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}

// v2 address families and lengths of their address blocks.
const (
	afUnspec = 0x0
	afInet   = 0x1
	afInet6  = 0x2
	afUnix   = 0x3

	protoUnspec = 0x0
	protoStream = 0x1
	protoDgram  = 0x2
)

var v2AddrLen = [...]int{afUnspec: 0, afInet: 12, afInet6: 36, afUnix: 216}

// parseV2 parses the binary header: signature, version/command,
// family/protocol, big-endian length, addresses, TLVs.
func parseV2(b []byte, h header) (header, int, error) {
	h.version = 2
	if len(b) < v2Fixed {
		return h, v2Fixed, nil
	}
	if v := b[12] >> 4; v != 2 {
		return h, 0, malformed("v2: version %d", v)
	}
	cmd := b[12] & 0xf
	if cmd > 1 {
		return h, 0, malformed("v2: command %d", cmd)
	}
	af, proto := int(b[13]>>4), int(b[13]&0xf)
	if af > afUnix || proto > protoDgram {
		return h, 0, malformed("v2: family %#02x", b[13])
	}
	h.n = v2Fixed + int(binary.BigEndian.Uint16(b[14:16]))
	if len(b) < h.n {
		return h, h.n, nil
	}
	body := b[v2Fixed:h.n]
	if cmd == 0 || af == afUnspec {
		// LOCAL (health checks and the like) or an unspecified family:
		// the receiver skips the rest and uses the real endpoints.
		h.local = true
		return h, h.n, nil
	}
	al := v2AddrLen[af]
	if len(body) < al {
		return h, 0, malformed("v2: %d address bytes, family needs %d", len(body), al)
	}
	if err := checkTLVs(body[al:]); err != nil {
		return h, 0, err
	}
	switch {
	case af == afUnix || proto == protoUnspec:
		h.local = true
	case af == afInet:
		h.src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:10]))
		h.dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[4:8])), binary.BigEndian.Uint16(body[10:12]))
	case af == afInet6:
		h.src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[0:16])).Unmap(), binary.BigEndian.Uint16(body[32:34]))
		h.dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[16:32])).Unmap(), binary.BigEndian.Uint16(body[34:36]))
	}
	return h, h.n, nil
}

// checkTLVs checks that b is a sequence of type-length-value records. The
// values themselves (ALPN, authority, CRC32C, SSL, NETNS, ...) are ignored.
func checkTLVs(b []byte) error {
	for len(b) > 0 {
		if len(b) < 3 {
			return malformed("v2: %d stray bytes after TLVs", len(b))
		}
		n := 3 + int(binary.BigEndian.Uint16(b[1:3]))
		if n > len(b) {
			return malformed("v2: TLV %#02x of %d bytes overruns header", b[0], n-3)
		}
		b = b[n:]
	}
	return nil
}
