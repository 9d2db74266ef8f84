package access

import (
	"net/netip"
	"strings"
)

// match is the answer of a pattern or a list for one client: no, yes, or
// maybe when it depends on what ginetd does not know: the client's host
// name (no DNS per connection), its user (no RFC 931 lookup), a netgroup,
// a file of patterns, or what a malformed pattern meant. HostsAccess.Check
// takes a rule that maybe matches as not matching when the rule allows and
// as matching when it denies, so that what ginetd does not know never
// lets a client past a rule that would have refused it.
type match int8

const (
	matchNo match = iota
	matchYes
	matchMaybe
)

// either is the match of "a or b": yes if either is, else maybe if either is.
func either(a, b match) match {
	if a == matchYes || b == matchYes {
		return matchYes
	}
	if a == matchMaybe || b == matchMaybe {
		return matchMaybe
	}
	return matchNo
}

// both is the match of "a and b": no if either is, else maybe if either is.
func both(a, b match) match {
	if a == matchNo || b == matchNo {
		return matchNo
	}
	if a == matchMaybe || b == matchMaybe {
		return matchMaybe
	}
	return matchYes
}

// negate is the match of "not a".
func negate(a match) match {
	switch a {
	case matchYes:
		return matchNo
	case matchNo:
		return matchYes
	}
	return matchMaybe
}

// patKind is the kind of one hosts_access(5) pattern, decided at parse time
// so that matching is a switch and a compare.
type patKind uint8

const (
	patNever   patKind = iota // matches nothing: a net with bits outside its mask
	patMaybe                  // KNOWN, UNKNOWN, LOCAL, PARANOID, host names, .domain, @netgroup, /file, malformed
	patAll                    // ALL
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
	name      bool         // patGlob: could match a host name, so a miss on the address is maybe
	user      int8         // client "user@host": 0 no user part; 1 user ALL; -1 any other user (maybe)
	local     *pattern     // daemon "name@host": the host part, matched against the local address
}

// patList is a list with hosts_access(5) EXCEPT: it matches when one of
// pats matches and except (itself possibly with an EXCEPT) does not.
type patList struct {
	pats   []pattern
	except *patList
}

func (l *patList) matchClient(peer netip.Addr) match {
	hit := matchNo
	for i := range l.pats {
		if hit = either(hit, l.pats[i].matchHost(peer)); hit == matchYes {
			break
		}
	}
	if hit == matchNo || l.except == nil {
		return hit
	}
	// a EXCEPT b EXCEPT c is a EXCEPT (b EXCEPT c).
	return both(hit, negate(l.except.matchClient(peer)))
}

func (l *patList) matchDaemon(daemon string, local netip.Addr) match {
	hit := matchNo
	for i := range l.pats {
		if hit = either(hit, l.pats[i].matchDaemon(daemon, local)); hit == matchYes {
			break
		}
	}
	if hit == matchNo || l.except == nil {
		return hit
	}
	return both(hit, negate(l.except.matchDaemon(daemon, local)))
}

// matchHost matches a client (or daemon@host) pattern against an address.
func (p *pattern) matchHost(a netip.Addr) match {
	m := p.matchAddr(a)
	if p.user < 0 {
		return both(m, matchMaybe) // the user name is never known: no RFC 931 lookup
	}
	return m
}

func (p *pattern) matchAddr(a netip.Addr) match {
	switch p.kind {
	case patMaybe:
		return matchMaybe
	case patAll:
		return matchYes
	case patAddr:
		return is(a == p.addr)
	case patMask4:
		if !a.Is4() {
			return matchNo
		}
		b := a.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		return is(v&p.mask == p.net)
	case patPrefix6:
		return is(a.Is6() && p.prefix.Contains(a))
	case patGlob:
		var buf [64]byte
		if a.IsValid() && globMatch(p.word, a.AppendTo(buf[:0])) {
			return matchYes
		}
		if p.name {
			return matchMaybe
		}
	}
	return matchNo
}

func is(b bool) match {
	if b {
		return matchYes
	}
	return matchNo
}

// matchDaemon matches a daemon-list pattern: the daemon name as tcpd's
// string_match compares it (case-insensitive, ".suffix", "prefix.", globs),
// and for "name@host" also the server's local address.
func (p *pattern) matchDaemon(daemon string, local netip.Addr) match {
	m := is(p.matchDaemonName(daemon))
	if p.local != nil && m != matchNo {
		m = both(m, p.local.matchHost(local))
	}
	return m
}

func (p *pattern) matchDaemonName(daemon string) bool {
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
