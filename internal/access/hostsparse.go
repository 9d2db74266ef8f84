package access

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ginetd/ginetd/internal/config"
)

// hostsRule is one rule of hosts.allow or hosts.deny.
type hostsRule struct {
	where   string // "FILE:LINE", for the log
	daemons patList
	clients patList
	verdict int8 // 0: the file decides; verdictAllow or verdictDeny from an option
}

const (
	verdictAllow int8 = 1
	verdictDeny  int8 = -1
)

// tcpd separates list items with these.
const listSep = ", \t\r\n"

// parseHosts reads one hosts_access(5) file. Lines that tcpd would skip
// (no ':' separator) are skipped and reported; the rest are kept even when a
// problem is reported for them, with the meaning tcpd gives them.
func parseHosts(file string, src []byte) ([]hostsRule, config.Problems) {
	var rules []hostsRule
	var probs config.Problems
	lineNo := 0
	for len(src) > 0 {
		// Join backslash-continued lines, as tcpd's xgets does: the
		// backslash and the newline vanish.
		var line []byte
		start := lineNo + 1
		for len(src) > 0 {
			i := bytes.IndexByte(src, '\n')
			var phys []byte
			if i < 0 {
				phys, src = src, nil
			} else {
				phys, src = src[:i], src[i+1:]
			}
			lineNo++
			phys = bytes.TrimSuffix(phys, []byte("\r"))
			if n := len(phys); n > 0 && phys[n-1] == '\\' {
				line = append(line, phys[:n-1]...)
				continue
			}
			line = append(line, phys...)
			break
		}
		// As in tcpd, only a '#' in the first column starts a comment.
		text := string(line)
		if strings.Trim(text, " \t\r\n") == "" || text[0] == '#' {
			continue
		}
		pos := config.Pos{File: file, Line: start}
		if t := strings.TrimLeft(text, " \t"); t[0] == '#' {
			probs.Warnf(pos, "'#' after white space does not start a comment: tcpd reads this line as a rule, and so does ginetd")
		}
		r, ok := parseRule(pos, text, &probs)
		if ok {
			rules = append(rules, r)
		}
	}
	return rules, probs
}

func parseRule(pos config.Pos, text string, probs *config.Problems) (hostsRule, bool) {
	daemons, rest, ok := splitField(text)
	if !ok {
		probs.Errorf(pos, "missing ':' separator")
		return hostsRule{}, false
	}
	clients, opts, hasOpts := splitField(rest)
	if !hasOpts {
		clients = rest
	}
	r := hostsRule{where: pos.String()}
	r.daemons = parseList(pos, daemons, true, probs)
	r.clients = parseList(pos, clients, false, probs)
	if len(r.daemons.pats) == 0 {
		probs.Warnf(pos, "empty daemon list: the rule matches nothing")
	}
	if len(r.clients.pats) == 0 {
		probs.Warnf(pos, "empty client list: the rule matches nothing")
	}
	if hasOpts {
		r.verdict = parseOptions(pos, opts, probs)
	}
	return r, true
}

// splitField cuts s at the first ':' outside brackets (IPv6 addresses).
func splitField(s string) (head, rest string, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case ':':
			if depth == 0 {
				return s[:i], s[i+1:], true
			}
		}
	}
	return s, "", false
}

// parseList compiles a daemon or client list with EXCEPT.
func parseList(pos config.Pos, s string, daemon bool, probs *config.Problems) patList {
	var head patList
	cur := &head
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(listSep, r) }) {
		if strings.EqualFold(tok, "EXCEPT") {
			cur.except = &patList{}
			cur = cur.except
			continue
		}
		var p pattern
		if daemon {
			p = parseDaemonPat(pos, tok, probs)
		} else {
			p = parseClientPat(pos, tok, probs)
		}
		cur.pats = append(cur.pats, p)
	}
	return head
}

func parseDaemonPat(pos config.Pos, tok string, probs *config.Problems) pattern {
	var p pattern
	if i := strings.IndexByte(tok[1:], '@'); i >= 0 {
		host := parseClientPat(pos, tok[i+2:], probs)
		p.local = &host
		tok = tok[:i+1]
	}
	switch {
	case strings.EqualFold(tok, "ALL"), strings.EqualFold(tok, "KNOWN"):
		p.kind = patAll
	case strings.ContainsAny(tok, "*?"):
		p.kind, p.word = patGlob, strings.ToLower(tok)
	default:
		p.kind, p.word = patWord, strings.ToLower(tok)
	}
	return p
}

// maybeNote ends the warning for a pattern that depends on what ginetd
// does not know (see match).
const maybeNote = "a rule it might match allows no one by it, and refuses if it denies"

// parseClientPat compiles a client pattern as tcpd's host_match reads it,
// for a client whose host name and user ginetd does not know (no DNS, no
// RFC 931): what depends on them is patMaybe, or a patGlob with name set.
func parseClientPat(pos config.Pos, tok string, probs *config.Problems) pattern {
	maybe := pattern{kind: patMaybe}
	if tok == "" {
		probs.Errorf(pos, "empty host after '@'; "+maybeNote)
		return maybe // "user@" or "daemon@" with no host
	}
	if tok[0] != '@' {
		if i := strings.IndexByte(tok[1:], '@'); i >= 0 {
			user := tok[:i+1]
			p := parseClientPat(pos, tok[i+2:], probs)
			p.user = -1
			if strings.EqualFold(user, "ALL") || strings.Trim(user, "*") == "" {
				p.user = 1
			} else {
				probs.Warnf(pos, "%s: ginetd does no RFC 931 (ident) lookup, so the user is never known; %s", tok, maybeNote)
			}
			return p
		}
	}
	switch {
	case tok[0] == '@':
		probs.Warnf(pos, "%s: NIS netgroups are not supported; %s", tok, maybeNote)
		return maybe
	case strings.EqualFold(tok, "KNOWN"), strings.EqualFold(tok, "UNKNOWN"),
		strings.EqualFold(tok, "LOCAL"), strings.EqualFold(tok, "PARANOID"):
		probs.Warnf(pos, "%s: depends on host names, which ginetd does not look up; %s", tok, maybeNote)
		return maybe
	case tok[0] == '/':
		probs.Warnf(pos, "%s: file patterns are not supported; %s", tok, maybeNote)
		return maybe
	case tok[0] == '[':
		return parseBracket(pos, tok, probs)
	case strings.Contains(tok, "/"):
		return parseNetMask(pos, tok, probs)
	}
	// tcpd: string_match(tok, address) || (NOT_INADDR(tok) && string_match(tok, hostname)).
	low := strings.ToLower(tok)
	name := namePattern(tok)
	var p pattern
	switch {
	case strings.EqualFold(tok, "ALL"):
		return pattern{kind: patAll}
	case strings.ContainsAny(tok, "*?"):
		p = pattern{kind: patGlob, word: low, name: name}
	case tok[0] == '.':
		p = pattern{kind: patGlob, word: "*" + low, name: name} // a suffix of the address text
	case tok[len(tok)-1] == '.':
		if p, ok := octetPrefix(tok); ok {
			return p
		}
		p = pattern{kind: patGlob, word: low + "*", name: name}
	default:
		if a, err := netip.ParseAddr(tok); err == nil && a.Is4() {
			return pattern{kind: patAddr, addr: a}
		}
		if !name {
			return pattern{kind: patNever} // as in tcpd: not an address, and no name can match it
		}
		p = maybe
	}
	if name {
		probs.Warnf(pos, "%s: may match by host name, which ginetd does not look up; %s", tok, maybeNote)
	}
	return p
}

// namePattern reports whether tcpd could match tok against a host name:
// it has a byte other than digits, dots and wildcards (NOT_INADDR, but a
// wildcard alone does not make a name: "10.1.*" is an address pattern),
// and no ':' (an IPv6 address, which no host name matches).
func namePattern(tok string) bool {
	return strings.Trim(tok, "0123456789.*?") != "" && !strings.Contains(tok, ":")
}

// octetPrefix turns "192.168." into 192.168.0.0/16 when every part is a
// canonical decimal octet.
func octetPrefix(tok string) (pattern, bool) {
	parts := strings.Split(tok[:len(tok)-1], ".")
	if len(parts) > 3 {
		return pattern{}, false
	}
	var net uint32
	for _, s := range parts {
		n, ok := octet(s)
		if !ok || strconv.Itoa(int(n)) != s {
			return pattern{}, false
		}
		net = net<<8 | uint32(n)
	}
	shift := 32 - 8*len(parts)
	return pattern{kind: patMask4, net: net << shift, mask: ^uint32(0) << shift}, true
}

// parseBracket reads "[v6]" and "[v6]/len".
func parseBracket(pos config.Pos, tok string, probs *config.Problems) pattern {
	end := strings.IndexByte(tok, ']')
	if end < 0 {
		probs.Errorf(pos, "%s: missing ']'; %s", tok, maybeNote)
		return pattern{kind: patMaybe}
	}
	a, err := netip.ParseAddr(tok[1:end])
	if err != nil || !a.Is6() || a.Zone() != "" {
		probs.Errorf(pos, "%s: bad IPv6 address; %s", tok, maybeNote)
		return pattern{kind: patMaybe}
	}
	rest := tok[end+1:]
	if rest == "" {
		return pattern{kind: patAddr, addr: a}
	}
	n, err := strconv.Atoi(strings.TrimPrefix(rest, "/"))
	if rest[0] != '/' || err != nil || n < 0 || n > 128 {
		probs.Errorf(pos, "%s: bad IPv6 prefix length; %s", tok, maybeNote)
		return pattern{kind: patMaybe}
	}
	return pattern{kind: patPrefix6, prefix: netip.PrefixFrom(a, n).Masked()}
}

// parseNetMask reads "n.n.n.n/m.m.m.m" and "n.n.n.n/len". As in tcpd, a
// net with bits outside the mask matches nothing.
func parseNetMask(pos config.Pos, tok string, probs *config.Problems) pattern {
	netS, maskS, _ := strings.Cut(tok, "/")
	a, err := netip.ParseAddr(netS)
	if err != nil || !a.Is4() {
		probs.Errorf(pos, "%s: bad net/mask expression; %s", tok, maybeNote)
		return pattern{kind: patMaybe}
	}
	var mask uint32
	if m, err := netip.ParseAddr(maskS); err == nil && m.Is4() {
		mask = be32(m.As4())
	} else if n, err := strconv.Atoi(maskS); err == nil && n >= 0 && n <= 32 && maskS[0] != '+' {
		mask = ^uint32(0) << (32 - n)
		if n == 0 {
			mask = 0
		}
	} else {
		probs.Errorf(pos, "%s: bad net/mask expression; %s", tok, maybeNote)
		return pattern{kind: patMaybe}
	}
	net := be32(a.As4())
	if net&^mask != 0 {
		probs.Warnf(pos, "%s: the net has bits outside the mask; as in tcpd it matches nothing", tok)
		return pattern{kind: patNever}
	}
	return pattern{kind: patMask4, net: net, mask: mask}
}

func be32(b [4]byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
