package msg

import "time"

// Parse parses one datagram. It never fails: b is read as RFC 5424 when it
// starts with "<PRI>1 " and its header is well formed, else as RFC 3164,
// and whatever does not fit the grammar stays in Text.
//
//   - No PRI, or a malformed one ("<abc>"): user.notice, and the whole
//     datagram is parsed as the rest of a message.
//   - A PRI above 191 (a facility beyond local7): user.notice, as sysklogd
//     and inetutils do, and the PRI is dropped.
//   - No time stamp: now is used.
//   - Trailing newlines and NULs are removed.
//
// The Message aliases b.
func Parse(b []byte, now Stamp) Message {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	m := Message{Pri: DefaultPri, Stamp: now}
	if pri, n := parsePri(b); n > 0 {
		if pri <= 191 {
			m.Pri = uint8(pri)
		}
		b = b[n:]
	}
	if len(b) > 2 && b[0] == '1' && b[1] == ' ' && parse5424(b[2:], &m) {
		return m
	}
	parse3164(b, &m)
	return m
}

// parsePri reads "<digits>" (1 to 5 digits) and returns its value and
// length, or n == 0 when b does not start with one.
func parsePri(b []byte) (pri, n int) {
	if len(b) < 3 || b[0] != '<' {
		return 0, 0
	}
	for i := 1; i < len(b) && i <= 6; i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			pri = pri*10 + int(c-'0')
		case c == '>' && i > 1:
			return pri, i + 1
		default:
			return 0, 0
		}
	}
	return 0, 0
}

// parse3164 parses "[TIMESTAMP SP [HOSTNAME SP]] [TAG[PID]: ]TEXT".
func parse3164(b []byte, m *Message) {
	if st, n := parse3164Stamp(b); n > 0 {
		m.Stamp = st
		b = b[n:]
		if host, rest, ok := splitHost(b); ok {
			m.Host, b = host, rest
		}
	} else if t, n := parseRFC3339Prefix(b); n > 0 {
		m.Stamp = MakeStamp(t.Local())
		b = b[n:]
		if host, rest, ok := splitHost(b); ok {
			m.Host, b = host, rest
		}
	}
	m.Tag, m.PID, m.Text = splitTag(b)
}

// parse3164Stamp reads "Mmm dd hh:mm:ss " (or a stamp ending the datagram).
func parse3164Stamp(b []byte) (Stamp, int) {
	var s Stamp
	if len(b) < 15 {
		return s, 0
	}
	if len(b) > 15 && b[15] != ' ' {
		return s, 0
	}
	mon := string(b[0:3]) // no allocation: used only in comparisons
	ok := false
	for _, name := range monthNames {
		if mon == name {
			ok = true
			break
		}
	}
	if !ok || b[3] != ' ' || b[6] != ' ' || b[9] != ':' || b[12] != ':' {
		return s, 0
	}
	if !(b[4] == ' ' || isDigit(b[4])) || !isDigit(b[5]) {
		return s, 0
	}
	for _, i := range [...]int{7, 8, 10, 11, 13, 14} {
		if !isDigit(b[i]) {
			return s, 0
		}
	}
	day := int(b[5] - '0')
	if b[4] != ' ' {
		day += 10 * int(b[4]-'0')
	}
	if day < 1 || day > 31 || num2(b[7:9]) > 23 || num2(b[10:12]) > 59 || num2(b[13:15]) > 60 {
		return s, 0
	}
	copy(s[:], b[:15])
	if s[4] == '0' {
		s[4] = ' '
	}
	if len(b) == 15 {
		return s, 15
	}
	return s, 16
}

// parseRFC3339Prefix reads an RFC 3339 time stamp followed by a space, as
// rsyslog's high-precision format puts in RFC 3164 messages.
func parseRFC3339Prefix(b []byte) (time.Time, int) {
	if len(b) < 20 || !isDigit(b[0]) || b[4] != '-' {
		return time.Time{}, 0
	}
	end := indexByte(b, ' ')
	if end < 0 {
		return time.Time{}, 0
	}
	t, err := time.Parse(time.RFC3339Nano, string(b[:end]))
	if err != nil {
		return time.Time{}, 0
	}
	return t, end + 1
}

// splitHost decides whether b starts with a HOSTNAME: it does when its
// first word is not itself a tag ("tag:" or "tag[pid]:") and the second
// word is one.
func splitHost(b []byte) (host, rest []byte, ok bool) {
	sp := indexByte(b, ' ')
	if sp <= 0 {
		return nil, b, false
	}
	word := b[:sp]
	for _, c := range word {
		if c == ':' || c == '[' || c == ']' || c < 0x21 || c > 0x7e {
			return nil, b, false
		}
	}
	if tag, _, _ := splitTag(b[sp+1:]); tag == nil {
		return nil, b, false
	}
	return word, b[sp+1:], true
}

// maxTag is the longest tag recognized (RFC 3164 says 32; programs use more).
const maxTag = 64

// splitTag splits "TAG: TEXT" or "TAG[PID]: TEXT". Without such a prefix
// tag and pid are nil and text is b.
func splitTag(b []byte) (tag, pid, text []byte) {
	i := 0
	for i < len(b) && i <= maxTag {
		c := b[i]
		if c == ':' || c == '[' || c <= ' ' || c == 0x7f {
			break
		}
		i++
	}
	if i == 0 || i > maxTag || i >= len(b) {
		return nil, nil, b
	}
	tag = b[:i]
	j := i
	if b[j] == '[' {
		k := indexByte(b[j:], ']')
		if k < 0 || k > 32 {
			return nil, nil, b
		}
		pid = b[j+1 : j+k]
		j += k + 1
	}
	if j >= len(b) || b[j] != ':' {
		return nil, nil, b
	}
	j++
	if j < len(b) && b[j] == ' ' {
		j++
	}
	return tag, pid, b[j:]
}

func num2(b []byte) int { return int(b[0]-'0')*10 + int(b[1]-'0') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
