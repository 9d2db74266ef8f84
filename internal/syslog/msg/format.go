package msg

import (
	"strconv"
	"time"
)

// AppendLine appends the traditional file line for m, ending in '\n':
//
//	Mmm dd hh:mm:ss HOST TAG[PID]: TEXT
//
// host is shown when m.Host is nil. Control characters in the text are
// shown as sysklogd does: a newline as a space, others as ^X (tab is kept).
// An RFC 5424 message's STRUCTURED-DATA and MSGID are left out, as rsyslog
// and sysklogd leave them out of this line: AppendLine5424 has them.
func AppendLine(dst []byte, m *Message, host []byte) []byte {
	dst = append(dst, m.Stamp[:]...)
	dst = append(dst, ' ')
	dst = appendBody(dst, m, host)
	return append(dst, '\n')
}

// AppendForward appends the RFC 3164 datagram that forwards m:
//
//	<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: TEXT
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

// appendBody appends "HOST TAG[PID]: TEXT".
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
	return appendText(dst, m)
}

// appendText appends m's text and the note of its truncation.
func appendText(dst []byte, m *Message) []byte {
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

// AppendLine5424 appends m as an RFC 5424 line, ending in '\n', as sysklogd
// 2 writes it for an action with ";RFC5424":
//
//	<PRI>1 TIMESTAMP HOST APP-NAME PROCID MSGID STRUCTURED-DATA TEXT
//
// TIMESTAMP is the message's own when it is an RFC 5424 message with one,
// else its traditional stamp in the year of now (the year before, if that
// would put it more than a day after now) and now's zone. An absent field is
// "-". A header field's characters outside printable US-ASCII are shown as
// '_'; the text's control characters as in AppendLine.
func AppendLine5424(dst []byte, m *Message, host []byte, now time.Time) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(m.Pri), 10)
	dst = append(dst, ">1 "...)
	if m.Time != nil {
		dst = appendField(dst, m.Time)
	} else {
		dst = StampTime(m.Stamp, now).AppendFormat(dst, time.RFC3339)
	}
	if m.Host != nil {
		host = m.Host
	}
	for _, f := range [...][]byte{host, m.Tag, m.PID, m.MsgID} {
		dst = append(dst, ' ')
		dst = appendField(dst, f)
	}
	dst = append(dst, ' ')
	if m.SD != nil {
		dst = appendClean(dst, m.SD)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, ' ')
	return append(appendText(dst, m), '\n')
}

// AppendRepeated5424 appends, for an RFC 5424 action, the line for n
// suppressed repetitions of a message with PRI pri and stamp st.
func AppendRepeated5424(dst []byte, pri uint8, st Stamp, host []byte, n int, now time.Time) []byte {
	m := Message{Pri: pri, Stamp: st, Text: []byte("last message repeated " + strconv.Itoa(n) + " times")}
	return AppendLine5424(dst, &m, host, now)
}

// appendField appends an RFC 5424 header field: "-" when empty, and '_'
// for each byte outside printable US-ASCII (33 to 126).
func appendField(dst, b []byte) []byte {
	if len(b) == 0 {
		return append(dst, '-')
	}
	for _, c := range b {
		if c < 33 || c > 126 {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

// StampTime returns the time a traditional stamp names: in now's year and
// zone, or the year before when that would be more than a day after now
// (a December message read in January).
func StampTime(st Stamp, now time.Time) time.Time {
	mon := time.January
	for i, name := range monthNames {
		if string(st[0:3]) == name {
			mon = time.Month(i + 1)
		}
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c >= '0' && c <= '9' {
				n = n*10 + int(c-'0')
			}
		}
		return n
	}
	day, h, mi, sec := num(st[4:6]), num(st[7:9]), num(st[10:12]), num(st[13:15])
	t := time.Date(now.Year(), mon, day, h, mi, sec, 0, now.Location())
	if t.Sub(now) > 24*time.Hour {
		t = time.Date(now.Year()-1, mon, day, h, mi, sec, 0, now.Location())
	}
	return t
}
