package access

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Resolver looks a host name up. Compile calls it once per host-name token;
// nothing in this package resolves names per connection. The supervisor
// passes a wrapper around net.DefaultResolver.LookupNetIP with a deadline.
type Resolver func(host string) ([]netip.Addr, error)

// TokenError is a problem with one token of an only_from, no_access or
// access_times list. The loader turns it into "FILE:LINE: message" with the
// position of the attribute that holds the token.
type TokenError struct {
	List    string // "only_from", "no_access" or "access_times"
	Index   int    // position of the token in its list, from 0
	Token   string // the token as written
	Msg     string
	Warning bool // the token is well formed but ignored (it matches nothing); never in no_access
}

// Error returns `only_from: "token": message`.
func (e *TokenError) Error() string {
	return fmt.Sprintf("%s: %q: %s", e.List, e.Token, e.Msg)
}

// Reasons an AddrMatcher refuses a peer. They are constants so that a
// refusal costs no allocation; the supervisor logs them as they are.
const (
	ReasonNoAccess  = "no_access"
	ReasonOnlyFrom  = "only_from"
	ReasonAmbiguous = "only_from and no_access match equally"
)

// AddrMatcher decides xinetd's address access control for one service: its
// only_from and no_access lists. The nil *AddrMatcher allows every peer.
//
// The rule is xinetd.conf(5)'s: a peer on no_access is refused; with an
// only_from list, a peer not on it is refused; a peer on both lists is
// decided by the better (more specific, longer-prefix) match, and a tie
// refuses (xinetd logs "only_from list and no_access list match equally").
// xinetd 2.3.15 refuses every peer on both lists regardless of specificity;
// ginetd follows the manual instead, which is also what older xinetds did.
//
// An AddrMatcher is immutable; it is safe for concurrent use.
type AddrMatcher struct {
	only, no addrList
}

// addrList is one compiled list. set distinguishes an explicitly empty list
// (only_from with no value: nobody) from an absent one.
type addrList struct {
	set bool
	v4  []netip.Prefix
	v6  []netip.Prefix
}

// Compile builds the matcher for a service's only_from and no_access
// tokens (config.Service.OnlyFrom, NoAccess). A nil slice means the
// attribute is absent; a non-nil empty slice means it was given with no
// value, which for only_from makes the service available to nobody.
//
// Tokens, as xinetd reads them:
//
//	128.138.12.5       one IPv4 host
//	128.138.0.0        trailing zero octets are wildcards: 128.138.0.0/16
//	0.0.0.0            every IPv4 address
//	128.138.{10,12}    factorized: 128.138.10.0/24 and 128.138.12.0/24; the
//	                   braces come last, though ".0" octets may follow them
//	                   (128.138.{10,12}.0 is the same list)
//	10.0.0.0/8  ::1/128  2001:db8::/32    address/prefix-length
//	2001:db8::1        one IPv6 host; "::" is every IPv6 address
//	host.example.org   every address resolve returns, each as one host
//	.example.org       needs reverse DNS per connection: not supported
//
// IPv6 prefixes that cover ::ffff:0:0/96 (such as ::/0) also match IPv4
// peers, as they do on xinetd's IPv6 sockets, where IPv4 clients arrive
// mapped. Compile always returns a matcher; bad tokens are left out and
// reported. Malformed tokens are errors. A token that is well formed but
// stands for no address here (a host name that does not resolve, for
// whatever reason, a .domain, ALL) is a warning (TokenError.Warning) in
// only_from, where leaving it out only refuses more clients, and an error
// in no_access, where leaving it out would let in the clients it was
// written to refuse: the caller must not serve a service whose no_access
// has an error. resolve may be nil: host names then stand for no address.
func Compile(onlyFrom, noAccess []string, resolve Resolver) (*AddrMatcher, []*TokenError) {
	m := &AddrMatcher{}
	var errs []*TokenError
	errs = m.only.compile("only_from", onlyFrom, resolve, errs)
	errs = m.no.compile("no_access", noAccess, resolve, errs)
	return m, errs
}

func (l *addrList) compile(list string, toks []string, resolve Resolver, errs []*TokenError) []*TokenError {
	l.set = toks != nil
	deny := list == "no_access"
	for i, tok := range toks {
		ps, msg, warn := parseAddrToken(tok, resolve)
		if msg != "" {
			switch {
			case warn && deny:
				// Fail closed: a denial left out lets its clients in.
				warn = false
				msg += "; ignoring it would let in the clients it names"
			case warn:
				msg += "; it matches nothing"
			}
			errs = append(errs, &TokenError{List: list, Index: i, Token: tok, Msg: msg, Warning: warn})
		}
		for _, p := range ps {
			if p.Addr().Is4() {
				l.v4 = append(l.v4, p)
			} else {
				l.v6 = append(l.v6, p)
			}
		}
	}
	return errs
}

// Allowed reports whether peer may use the service and, when it may not,
// which list refused it (ReasonNoAccess, ReasonOnlyFrom, ReasonAmbiguous).
// It does not allocate.
func (m *AddrMatcher) Allowed(peer netip.Addr) (bool, string) {
	if m == nil {
		return true, ""
	}
	peer = peer.Unmap().WithZone("")
	na := m.no.best(peer)
	of := m.only.best(peer)
	switch {
	case na >= 0 && of >= 0:
		if of > na {
			return true, ""
		}
		if of == na {
			return false, ReasonAmbiguous
		}
		return false, ReasonNoAccess
	case na >= 0:
		return false, ReasonNoAccess
	case m.only.set && of < 0:
		return false, ReasonOnlyFrom
	}
	return true, ""
}

// best returns how specific the most specific entry matching a is, as a
// prefix length in IPv6 terms (an IPv4 /n counts as /96+n), or -1.
func (l *addrList) best(a netip.Addr) int {
	best := -1
	if a.Is4() {
		for _, p := range l.v4 {
			if p.Bits()+96 > best && p.Contains(a) {
				best = p.Bits() + 96
			}
		}
		if len(l.v6) == 0 {
			return best
		}
		a = netip.AddrFrom16(a.As16())
	}
	for _, p := range l.v6 {
		if p.Bits() > best && p.Contains(a) {
			best = p.Bits()
		}
	}
	return best
}

// parseAddrToken turns one token into prefixes. A non-empty msg is an
// error, or a warning when warn is set.
func parseAddrToken(tok string, resolve Resolver) (ps []netip.Prefix, msg string, warn bool) {
	switch {
	case tok == "":
		return nil, "empty address", false
	case strings.ContainsAny(tok, "{}"):
		return parseFactorized(tok)
	case strings.Contains(tok, "/"):
		p, err := netip.ParsePrefix(tok)
		if err != nil || p.Addr().Zone() != "" {
			return nil, "bad address/prefix-length", false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return []netip.Prefix{p.Masked()}, "", false
	case strings.Contains(tok, ":"):
		a, err := netip.ParseAddr(tok)
		if err != nil || a.Zone() != "" {
			return nil, "bad IPv6 address", false
		}
		if a.Is4In6() {
			return parseAddrToken(a.Unmap().String(), resolve)
		}
		if a.IsUnspecified() {
			return []netip.Prefix{netip.PrefixFrom(a, 0)}, "", false
		}
		return []netip.Prefix{netip.PrefixFrom(a, 128)}, "", false
	case isNumeric(tok):
		a, err := netip.ParseAddr(tok)
		if err != nil || !a.Is4() {
			return nil, "bad IPv4 address (want four decimal octets)", false
		}
		return []netip.Prefix{trailingZeroPrefix(a)}, "", false
	case tok[0] == '.':
		if !validHostname(tok[1:]) {
			return nil, "bad domain name", false
		}
		return nil, "a .domain needs a reverse DNS lookup per connection, which ginetd does not do", true
	}
	if !validHostname(tok) {
		return nil, "bad host name", false
	}
	if strings.EqualFold(tok, "ALL") {
		return nil, "ALL is not an xinetd address (use 0.0.0.0/0 and ::/0)", true
	}
	if resolve == nil {
		return nil, "host names are not resolved here", true
	}
	addrs, err := resolve(tok)
	if err != nil || len(addrs) == 0 {
		why := "no address"
		if err != nil {
			why = err.Error()
		}
		return nil, "cannot resolve host name (" + why + ")", true
	}
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	return ps, "", false
}

// trailingZeroPrefix gives xinetd's meaning of a plain IPv4 address: each
// zero octet at the right end is a wildcard, and 0.0.0.0 matches all.
func trailingZeroPrefix(a netip.Addr) netip.Prefix {
	b := a.As4()
	bits := 32
	for i := 3; i >= 0 && b[i] == 0; i-- {
		bits -= 8
	}
	return netip.PrefixFrom(a, bits)
}

// parseFactorized reads "a.b.{x,y,z}" with optional ".0" octets after the
// closing brace.
func parseFactorized(tok string) ([]netip.Prefix, string, bool) {
	open := strings.IndexByte(tok, '{')
	end := strings.IndexByte(tok, '}')
	if open < 0 || end < open || strings.Count(tok, "{") != 1 || strings.Count(tok, "}") != 1 {
		return nil, "bad factorized address: unbalanced braces", false
	}
	head, body, tail := tok[:open], tok[open+1:end], tok[end+1:]
	var octets []byte
	if head != "" {
		if !strings.HasSuffix(head, ".") {
			return nil, "bad factorized address: want a dot before '{'", false
		}
		for _, s := range strings.Split(head[:len(head)-1], ".") {
			n, ok := octet(s)
			if !ok {
				return nil, "bad factorized address: bad octet " + strconv.Quote(s), false
			}
			octets = append(octets, n)
		}
	}
	fixed := len(octets) + 1
	for rest := tail; rest != ""; {
		if !strings.HasPrefix(rest, ".0") {
			return nil, "bad factorized address: only .0 octets may follow '}'", false
		}
		rest = rest[2:]
		fixed++
	}
	if fixed > 4 {
		return nil, "bad factorized address: more than four octets", false
	}
	var ps []netip.Prefix
	for _, s := range strings.Split(body, ",") {
		n, ok := octet(s)
		if !ok {
			return nil, "bad factorized address: bad octet " + strconv.Quote(s), false
		}
		var b [4]byte
		copy(b[:], octets)
		b[len(octets)] = n
		ps = append(ps, netip.PrefixFrom(netip.AddrFrom4(b), 8*(len(octets)+1)))
	}
	return ps, "", false
}

func octet(s string) (byte, bool) {
	if s == "" || len(s) > 3 || !isNumeric(s) || strings.Contains(s, ".") {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 255 {
		return 0, false
	}
	return byte(n), true
}

// isNumeric reports whether s holds only digits and dots.
func isNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}
