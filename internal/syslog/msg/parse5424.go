package msg

import "time"

// parse5424 parses what follows "<PRI>1 ":
//
//	TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
//
// It reports false, leaving m alone, when the header is not well formed.
func parse5424(b []byte, m *Message) bool {
	var f [5][]byte
	for i := range f {
		sp := indexByte(b, ' ')
		if sp <= 0 {
			return false
		}
		f[i], b = b[:sp], b[sp+1:]
	}
	stamp, ts := m.Stamp, []byte(nil)
	if !(len(f[0]) == 1 && f[0][0] == '-') {
		t, err := time.Parse(time.RFC3339Nano, string(f[0]))
		if err != nil {
			return false
		}
		stamp, ts = MakeStamp(t.Local()), f[0]
	}
	sdLen, ok := scanSD(b)
	if !ok {
		return false
	}
	sd := b[:sdLen]
	b = b[sdLen:]
	if len(b) > 0 {
		if b[0] != ' ' {
			return false
		}
		b = b[1:]
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		b = b[3:] // BOM
	}
	m.Stamp = stamp
	m.Host = nilDash(f[1])
	m.Tag = nilDash(f[2])
	m.PID = nilDash(f[3])
	m.Time = ts
	m.MsgID = nilDash(f[4])
	m.SD = nilDash(sd)
	m.Text = b
	return true
}

// scanSD returns the length of the STRUCTURED-DATA at the start of b: "-"
// or one or more "[ID PARAM="VALUE"...]" with \" \\ \] escapes in values.
func scanSD(b []byte) (int, bool) {
	if len(b) > 0 && b[0] == '-' {
		return 1, true
	}
	i := 0
	for i < len(b) && b[i] == '[' {
		i++
		inQuote := false
		for {
			if i >= len(b) {
				return 0, false
			}
			c := b[i]
			if inQuote && c == '\\' {
				i += 2
				continue
			}
			i++
			if c == '"' {
				inQuote = !inQuote
			} else if c == ']' && !inQuote {
				break
			}
		}
	}
	return i, i > 0
}

func nilDash(b []byte) []byte {
	if len(b) == 1 && b[0] == '-' {
		return nil
	}
	return b
}
