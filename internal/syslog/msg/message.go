package msg

import "time"

// MaxSize is the largest message gsyslogd keeps. A longer datagram is cut
// to MaxSize bytes and its Message records the length it had (Truncated).
const MaxSize = 8192

// Stamp is a traditional syslog time stamp, "Mmm dd hh:mm:ss" (the day is
// padded with a space), in local time.
type Stamp [15]byte

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// MakeStamp formats t, in its own location, as a Stamp.
func MakeStamp(t time.Time) Stamp {
	var s Stamp
	_, mon, day := t.Date()
	h, m, sec := t.Clock()
	copy(s[0:3], monthNames[mon-1])
	s[3] = ' '
	if day < 10 {
		s[4] = ' '
	} else {
		s[4] = byte('0' + day/10)
	}
	s[5] = byte('0' + day%10)
	s[6] = ' '
	two(s[7:9], h)
	s[9] = ':'
	two(s[10:12], m)
	s[12] = ':'
	two(s[13:15], sec)
	return s
}

func two(b []byte, n int) { b[0], b[1] = byte('0'+n/10), byte('0'+n%10) }

// String returns the stamp as text.
func (s Stamp) String() string { return string(s[:]) }

// Message is one parsed syslog message. Its byte slices alias the buffer it
// was parsed from.
type Message struct {
	Pri   uint8 // facility<<3 | severity; facility is 0..23
	Stamp Stamp // time stamp from the message, or the receive time
	// Host is the HOSTNAME field of the message, nil when it has none. The
	// daemon shows its own name for messages from local sources.
	Host []byte
	Tag  []byte // TAG (RFC 3164) or APP-NAME (RFC 5424), nil when absent
	PID  []byte // PID (RFC 3164) or PROCID (RFC 5424), nil when absent
	SD   []byte // RFC 5424 STRUCTURED-DATA, nil when "-" or RFC 3164
	// Time is the RFC 5424 TIMESTAMP as received, nil when "-" or RFC
	// 3164; MsgID is the RFC 5424 MSGID, nil when "-" or RFC 3164. Only
	// the RFC 5424 line (AppendLine5424) shows them.
	Time  []byte
	MsgID []byte
	Text  []byte // the message proper
	// Truncated is the length of the datagram when it was longer than
	// MaxSize and was cut, else 0.
	Truncated int
}

// Facility returns the facility number, 0..23.
func (m *Message) Facility() int { return int(m.Pri >> 3) }

// Severity returns the severity number, 0..7.
func (m *Message) Severity() int { return int(m.Pri & 7) }
