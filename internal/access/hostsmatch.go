package access

import (
	"net/netip"
	"strings"
)

// patKind is the kind of one hosts_access(5) pattern, decided at parse time
// so that matching is a switch and a compare.
type patKind uint8

const (
	patNever   patKind = iota // KNOWN, LOCAL, PARANOID, .domain, @netgroup, /file, host names
	patAll                    // ALL, and UNKNOWN (no host name is ever known)
	patAddr                   // one address: 10.1.2.3, [2001:db8::1]
	patMask4                  // IPv4 net/mask or net/len: (addr & mask) == net
	patPrefix6                // [net]/len
	patGlob                   // contains * or ?: matched against the address text
	patWord                   // daemon patterns: a name, .suffix, prefix. (text in word)
)

// pattern is one compiled token of a daemon or client list.
type pattern struct {
	kind      patKind
	addr      netip.Addr   // patAddr
	net, mask uint32       // patMask4
	prefix    netip.Prefix // patPrefix6
	word      string       // patGlob, patWord: lower-cased
	user      int8         // client "user@host": 0 no user part; 1 user ALL/UNKNOWN; -1 any other user
	local     *pattern     // daemon "name@host": the host part, matched against the local address
}

// patList is a list with hosts_access(5) EXCEPT: it matches when one of
// pats matches and except (itself possibly with an EXCEPT) does not.
type patList struct {
	pats   []pattern
	except *patList
}

func (l *patList) matchClient(peer netip.Addr) bool {
	hit := false
	for i := range l.pats {
		if l.pats[i].matchHost(peer) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	// a EXCEPT b EXCEPT c is a EXCEPT (b EXCEPT c).
	return l.except == nil || !l.except.matchClient(peer)
}

func (l *patList) matchDaemon(daemon string, local netip.Addr) bool {
	hit := false
	for i := range l.pats {
		if l.pats[i].matchDaemon(daemon, local) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	return l.except == nil || !l.except.matchDaemon(daemon, local)
}

// matchHost matches a client (or daemon@host) pattern against an address.
func (p *pattern) matchHost(a netip.Addr) bool {
	if p.user < 0 {
		return false // the user name is never known: no RFC 931 lookup
	}
	switch p.kind {
	case patAll:
		return true
	case patAddr:
		return a == p.addr
	case patMask4:
		if !a.Is4() {
			return false
		}
		b := a.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		return v&p.mask == p.net
	case patPrefix6:
		return a.Is6() && p.prefix.Contains(a)
	case patGlob:
		if !a.IsValid() {
			return false
		}
		var buf [64]byte
		return globMatch(p.word, a.AppendTo(buf[:0]))
	}
	return false
}

// matchDaemon matches a daemon-list pattern: the daemon name as tcpd's
// string_match compares it (case-insensitive, ".suffix", "prefix.", globs),
// and for "name@host" also the server's local address.
func (p *pattern) matchDaemon(daemon string, local netip.Addr) bool {
	if p.local != nil && !p.local.matchHost(local) {
		return false
	}
	switch p.kind {
	case patAll:
		return true
	case patWord:
		w := p.word
		switch {
		case w[0] == '.':
			return len(daemon) >= len(w) && strings.EqualFold(daemon[len(daemon)-len(w):], w)
		case w[len(w)-1] == '.':
			return len(daemon) >= len(w) && strings.EqualFold(daemon[:len(w)], w)
		}
		return strings.EqualFold(daemon, w)
	case patGlob:
		return globMatchFold(p.word, daemon)
	}
	return false
}

// globMatch matches s against a pattern of literal bytes, '*' (any run) and
// '?' (one byte), as tcpd's match_pattern_ylo does; the pattern is lower
// case and s is compared case-insensitively.
func globMatch(pat string, s []byte) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pat) {
			switch c := pat[px]; {
			case c == '*':
				starP, starS = px, sx
				px++
				continue
			case c == '?' || c == lower(s[sx]):
				px++
				sx++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP+1, starS
	}
	for px < len(pat) && pat[px] == '*' {
		px++
	}
	return px == len(pat)
}

func globMatchFold(pat, s string) bool {
	var buf [128]byte
	if len(s) > len(buf) {
		return globMatch(pat, []byte(s))
	}
	n := copy(buf[:], s)
	return globMatch(pat, buf[:n])
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
