package msg

// kernelTag is the tag of messages read from /dev/kmsg.
var kernelTag = []byte("kernel")

// ParseKmsg parses one /dev/kmsg record, "PRI,SEQ,USEC,FLAGS;TEXT\n"
// followed by optional " KEY=VALUE" lines, which are dropped. The facility
// is always kern, the severity comes from the record (kern.notice when the
// prefix is malformed, and then the whole record is the text). The
// time stamp is now: the record's is microseconds since boot.
func ParseKmsg(b []byte, now Stamp) Message {
	m := Message{Pri: Kern<<3 | Notice, Stamp: now, Tag: kernelTag}
	if nl := indexByte(b, '\n'); nl >= 0 {
		b = b[:nl]
	}
	semi := indexByte(b, ';')
	if semi < 0 {
		m.Text = b
		return m
	}
	pri, i := 0, 0
	for ; i < semi && isDigit(b[i]); i++ {
		pri = pri*10 + int(b[i]-'0')
		if pri > 1<<20 {
			break
		}
	}
	if i == 0 || i >= semi || b[i] != ',' {
		m.Text = b
		return m
	}
	m.Pri = uint8(Kern<<3 | pri&7)
	m.Text = b[semi+1:]
	return m
}
