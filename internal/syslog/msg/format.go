package msg

import "strconv"

// AppendLine appends the traditional file line for m, ending in '\n':
//
//	Mmm dd hh:mm:ss HOST TAG[PID]: [SD ]TEXT
//
// host is shown when m.Host is nil. Control characters in the text are
// shown as sysklogd does: a newline as a space, others as ^X (tab is kept).
func AppendLine(dst []byte, m *Message, host []byte) []byte {
	dst = append(dst, m.Stamp[:]...)
	dst = append(dst, ' ')
	dst = appendBody(dst, m, host)
	return append(dst, '\n')
}

// AppendForward appends the RFC 3164 datagram that forwards m:
//
//	<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: [SD ]TEXT
func AppendForward(dst []byte, m *Message, host []byte) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(m.Pri), 10)
	dst = append(dst, '>')
	dst = append(dst, m.Stamp[:]...)
	dst = append(dst, ' ')
	return appendBody(dst, m, host)
}

// AppendRepeated appends sysklogd's line for n suppressed repetitions:
//
//	Mmm dd hh:mm:ss HOST last message repeated N times
func AppendRepeated(dst []byte, st Stamp, host []byte, n int) []byte {
	dst = append(dst, st[:]...)
	dst = append(dst, ' ')
	dst = append(dst, host...)
	dst = append(dst, " last message repeated "...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, " times\n"...)
}

// appendBody appends "HOST TAG[PID]: [SD ]TEXT".
func appendBody(dst []byte, m *Message, host []byte) []byte {
	if m.Host != nil {
		host = m.Host
	}
	dst = appendClean(dst, host)
	dst = append(dst, ' ')
	if m.Tag != nil {
		dst = appendClean(dst, m.Tag)
		if m.PID != nil {
			dst = append(dst, '[')
			dst = appendClean(dst, m.PID)
			dst = append(dst, ']')
		}
		dst = append(dst, ':', ' ')
	}
	if m.SD != nil {
		dst = appendClean(dst, m.SD)
		dst = append(dst, ' ')
	}
	dst = appendClean(dst, m.Text)
	if m.Truncated > 0 {
		dst = append(dst, " [truncated: datagram of "...)
		dst = strconv.AppendInt(dst, int64(m.Truncated), 10)
		dst = append(dst, " bytes]"...)
	}
	return dst
}

// appendClean appends b with control characters made visible.
func appendClean(dst, b []byte) []byte {
	start := 0
	for i, c := range b {
		if c >= 0x20 && c != 0x7f || c == '\t' {
			continue
		}
		dst = append(dst, b[start:i]...)
		switch {
		case c == '\n':
			dst = append(dst, ' ')
		case c == 0x7f:
			dst = append(dst, '^', '?')
		default:
			dst = append(dst, '^', c+'@')
		}
		start = i + 1
	}
	return append(dst, b[start:]...)
}

// Equal reports whether a and b show the same host, tag, pid and text, the
// test sysklogd uses to collapse repetitions (time and PRI are ignored).
func Equal(a, b *Message) bool {
	return string(a.Host) == string(b.Host) && string(a.Tag) == string(b.Tag) &&
		string(a.PID) == string(b.PID) && string(a.SD) == string(b.SD) &&
		string(a.Text) == string(b.Text) && a.Truncated == b.Truncated &&
		(a.Host == nil) == (b.Host == nil)
}
