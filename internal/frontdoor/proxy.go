package frontdoor

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"
)

// DefaultProxyTimeout is the time allowed for a PROXY header when
// ProxyPolicy.Timeout is zero.
const DefaultProxyTimeout = 5 * time.Second

// Errors from ReadProxy; the returned error wraps one of them.
var (
	// ErrUntrusted means the peer is not a trusted proxy but sent a header,
	// or the policy requires a header and the peer cannot send one.
	ErrUntrusted = errors.New("peer is not a trusted proxy")
	// ErrMalformed means a header began but is not valid PROXY protocol.
	ErrMalformed = errors.New("malformed header")
	// ErrMissing means the policy requires a header and none arrived.
	ErrMissing = errors.New("no header")
)

// ProxyPolicy says whom ReadProxy believes and whether a header is required.
type ProxyPolicy struct {
	// Trusted lists the proxies whose headers are honoured.
	Trusted []netip.Prefix
	// Required refuses connections that carry no header.
	Required bool
	// Timeout bounds the wait for a header; zero means DefaultProxyTimeout.
	Timeout time.Duration
}

// trusts reports whether peer may send a header.
func (p ProxyPolicy) trusts(peer netip.Addr) bool {
	peer = peer.Unmap()
	for _, pfx := range p.Trusted {
		if pfx.Contains(peer) {
			return true
		}
	}
	return false
}

// ParseTrusted parses a list of addresses ("127.0.0.2", "::1") and
// prefixes ("10.0.0.0/8") as written in a service's proxy_protocol
// attribute. IPv4-mapped IPv6 forms are stored as plain IPv4.
func ParseTrusted(tokens []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(tokens))
	for _, tok := range tokens {
		var pfx netip.Prefix
		var err error
		if strings.Contains(tok, "/") {
			pfx, err = netip.ParsePrefix(tok)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(tok)
			switch {
			case err == nil && a.Zone() != "":
				err = errors.New("zones are not allowed")
			case err == nil:
				pfx = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("parse trusted proxy %q: %w", tok, err)
		}
		if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}

// ReadProxy reads a PROXY protocol header from c, whose kernel peer is peer
// and local address local, within p.Timeout. It returns the real client
// (src) and the address the client connected to (dst); see the package
// documentation for the rules. IPv4-mapped addresses are returned as plain
// IPv4.
//
// c must be a socket (it must implement syscall.Conn, as *net.TCPConn,
// *net.UnixConn and the result of net.FileConn do). ReadProxy consumes
// exactly the header: every byte after it is still unread in c, so the
// socket can be given to a child as it is. ReadProxy starts no goroutine,
// leaves c open, and clears c's read deadline before it returns.
func ReadProxy(c net.Conn, peer, local netip.AddrPort, p ProxyPolicy) (src, dst netip.AddrPort, err error) {
	peer = unmapAP(peer)
	local = unmapAP(local)
	fail := func(err error) (netip.AddrPort, netip.AddrPort, error) {
		return netip.AddrPort{}, netip.AddrPort{}, fmt.Errorf("read PROXY header from %s: %w", peer, err)
	}
	trusted := p.trusts(peer.Addr())
	if p.Required && !trusted {
		return fail(ErrUntrusted)
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return fail(errors.New("connection has no file descriptor"))
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return fail(err)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultProxyTimeout
	}
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return fail(err)
	}
	defer c.SetReadDeadline(time.Time{})

	sp := newSockPeeker(rc)
	defer sp.release()
	h, found, err := readHeader(sp, !trusted)
	switch {
	case err != nil:
		return fail(err)
	case !found && p.Required:
		return fail(ErrMissing)
	case !found:
		return peer, local, nil
	case !trusted:
		return fail(ErrUntrusted)
	}
	if err := sp.discard(c, h.n); err != nil {
		return fail(err)
	}
	if h.local {
		return peer, local, nil
	}
	return h.src, h.dst, nil
}

// readHeader drives parseHeader over the bytes pk lets it see. found is
// false when the input is not a PROXY header (including when nothing
// arrived in time); a header that began but cannot be completed or parsed
// is an error. With sigOnly (an untrusted peer, whose header is refused
// whatever it holds) it stops once the signature is complete, so that a
// peer nobody trusts never makes it wait for, or buffer, the length it
// declares.
func readHeader(pk peeker, sigOnly bool) (h header, found bool, err error) {
	need := 1
	for {
		b, perr := pk.peek(need)
		h, need, err = parseHeader(b)
		switch {
		case errors.Is(err, errNotHeader):
			return header{}, false, nil
		case sigOnly && h.sigLen > 0 && len(b) >= h.sigLen:
			return header{}, true, nil
		case err != nil:
			return header{}, false, err
		case need <= len(b):
			return h, true, nil
		case perr == nil:
			continue
		case len(b) < h.sigLen || h.sigLen == 0:
			// The signature never completed: the client's own data (or
			// nothing at all) followed by EOF or silence.
			if errors.Is(perr, errEOF) || errors.Is(perr, os.ErrDeadlineExceeded) {
				return header{}, false, nil
			}
			return header{}, false, perr
		case errors.Is(perr, errEOF):
			return header{}, false, fmt.Errorf("%w: truncated at %d bytes", ErrMalformed, len(b))
		default:
			return header{}, false, fmt.Errorf("%w after %d bytes: %w", ErrMalformed, len(b), perr)
		}
	}
}

func unmapAP(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
