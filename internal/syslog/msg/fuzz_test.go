package msg

import (
	"bytes"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"<134>Nov 26 00:58:32 vm tg: hello world",
		"<13>Nov 26 00:58:32 root: plain",
		`<13>1 2026-11-26T00:58:32.478465+00:00 vm tg 6250 - [a b="\]"] hi`,
		"<165>1 - - - - - -",
		"<30>2026-11-26T00:58:32Z h a[7]: x\n",
		"<4102>x", "<abc>", "",
	} {
		f.Add([]byte(s))
	}
	host := []byte("me")
	f.Fuzz(func(t *testing.T, b []byte) {
		m := Parse(b, now)
		if m.Facility() >= NumFacilities {
			t.Fatalf("facility %d", m.Facility())
		}
		line := AppendLine(nil, &m, host)
		if bytes.IndexByte(line, '\n') != len(line)-1 {
			t.Fatalf("line %q has an inner newline", line)
		}
		fw := AppendForward(nil, &m, host)
		if bytes.IndexByte(fw, '\n') >= 0 {
			t.Fatalf("forward %q has a newline", fw)
		}
		// Forwarding keeps the PRI.
		if back := Parse(fw, now); back.Pri != m.Pri {
			t.Fatalf("forwarded PRI %d, want %d", back.Pri, m.Pri)
		}
	})
}

func FuzzParseKmsg(f *testing.F) {
	f.Add([]byte("6,1234,5678,-;usb 1-1: new device\n SUBSYSTEM=usb\n"))
	f.Add([]byte("99999999999999,;"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := ParseKmsg(b, now)
		if m.Facility() != Kern {
			t.Fatalf("facility %d", m.Facility())
		}
		_ = AppendLine(nil, &m, []byte("me"))
	})
}
