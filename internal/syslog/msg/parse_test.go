package msg

import (
	"strings"
	"testing"
	"time"

	"github.com/ginetd/ginetd/daemon"
)

var now = MakeStamp(time.Date(2026, 11, 5, 7, 8, 9, 0, time.Local))

func TestMakeStamp(t *testing.T) {
	if got := now.String(); got != "Nov  5 07:08:09" {
		t.Fatalf("MakeStamp = %q", got)
	}
}

func TestParseLine(t *testing.T) {
	host := []byte("me")
	tests := []struct{ in, line string }{
		// RFC 3164 as util-linux logger sends it, with and without HOSTNAME
		{"<134>Nov 26 00:58:32 vm tg: hello world", "Nov 26 00:58:32 vm tg: hello world"},
		{"<13>Nov 26 00:58:32 root: plain", "Nov 26 00:58:32 me root: plain"},
		{"<13>Nov  6 00:58:32 prog[42]: with pid\n", "Nov  6 00:58:32 me prog[42]: with pid"},
		{"<13>Nov 06 00:58:32 prog[42]:nospace", "Nov  6 00:58:32 me prog[42]: nospace"},
		// Go's log/syslog
		{"<30>2026-11-26T00:58:32Z gohost app[7]: from go\n", "Nov 26 00:58:32 gohost app[7]: from go"},
		// RFC 5424
		{`<13>1 2026-11-26T00:58:32.478465+00:00 vm tg 6250 - [timeQuality tzKnown="1" isSynced="0"] hello5424`,
			`Nov 26 00:58:32 vm tg[6250]: hello5424`}, // no STRUCTURED-DATA, as rsyslog and sysklogd
		{`<13>1 2026-11-26T00:58:32Z vm tg - MID [a@1 x="]"][b@2] [not sd]`, `Nov 26 00:58:32 vm tg: [not sd]`},
		{"<165>1 - - - - ID47 - \xEF\xBB\xBFbom", "Nov  5 07:08:09 me bom"},
		{"<165>1 - host app - - -", "Nov  5 07:08:09 host app: "},
		// malformed
		{"no pri at all", "Nov  5 07:08:09 me no pri at all"},
		{"<abc>x", "Nov  5 07:08:09 me <abc>x"},
		{"<4102>Nov 26 00:58:32 t: illegal facility", "Nov 26 00:58:32 me t: illegal facility"},
		{"<13>1 garbage", "Nov  5 07:08:09 me 1 garbage"},
		{"<13>ctl\x01a\nb\x7f", "Nov  5 07:08:09 me ctl^Aa b^?"},
		{"", "Nov  5 07:08:09 me "},
		{"<13>", "Nov  5 07:08:09 me "},
		{"<13>Jan 32 99:99:99 bogus: stamp", "Nov  5 07:08:09 me Jan 32 99:99:99 bogus: stamp"},
		{"<13>Feb  1 24:00:00 t: hour", "Nov  5 07:08:09 me Feb  1 24:00:00 t: hour"},
		{"<13>Nov 26 00:58:32 ", "Nov 26 00:58:32 me "},
	}
	for _, tt := range tests {
		m := Parse([]byte(tt.in), now)
		if got := string(AppendLine(nil, &m, host)); got != tt.line+"\n" {
			t.Errorf("Parse(%q):\n got %q\nwant %q", tt.in, got, tt.line+"\n")
		}
	}
}

func TestLine5424(t *testing.T) {
	host := []byte("me")
	// A Nov 5 07:08:09 stamp read on 2026-11-05, and one read on 2027-01-02.
	inNov := time.Date(2026, 11, 5, 7, 8, 30, 0, time.UTC)
	inJan := time.Date(2027, 1, 2, 0, 0, 0, 0, time.FixedZone("", 3600))
	tests := []struct {
		in   string
		at   time.Time
		line string
	}{
		{`<13>1 2026-11-26T00:58:32.478465+00:00 vm tg 6250 - [timeQuality tzKnown="1" isSynced="0"] hello5424`, inNov,
			`<13>1 2026-11-26T00:58:32.478465+00:00 vm tg 6250 - [timeQuality tzKnown="1" isSynced="0"] hello5424`},
		{`<165>1 - host app - ID47 - text`, inNov, `<165>1 2026-11-05T07:08:09Z host app - ID47 - text`},
		{`<13>1 2026-11-26T00:58:32Z - - - - [a@1 x="\]"] multi` + "\nline", inNov,
			`<13>1 2026-11-26T00:58:32Z me - - - [a@1 x="\]"] multi line`},
		// RFC 3164: its stamp in the reader's year and zone, the year
		// before when read early in January.
		{"<134>Nov  5 07:08:09 vm tg[42]: hello", inNov, "<134>1 2026-11-05T07:08:09Z vm tg 42 - - hello"},
		{"<134>Dec 31 23:59:59 vm tg: late", inJan, "<134>1 2026-12-31T23:59:59+01:00 vm tg - - - late"},
		{"<13>Jan  1 00:00:01 tg: x", inJan, "<13>1 2027-01-01T00:00:01+01:00 me tg - - - x"},
		// Header fields are printable US-ASCII.
		{"<13>1 - - a\x01\xffp - - - x", inNov, "<13>1 2026-11-05T07:08:09Z me a__p - - - x"},
		{"plain", inNov, "<13>1 2026-11-05T07:08:09Z me - - - - plain"},
	}
	for _, tt := range tests {
		m := Parse([]byte(tt.in), now)
		if got := string(AppendLine5424(nil, &m, host, tt.at)); got != tt.line+"\n" {
			t.Errorf("Parse(%q):\n got %q\nwant %q", tt.in, got, tt.line+"\n")
		}
	}
	m := Parse([]byte("<14>x: y"), now)
	if got, want := string(AppendRepeated5424(nil, m.Pri, m.Stamp, host, 3, inNov)), "<14>1 2026-11-05T07:08:09Z me - - - - last message repeated 3 times\n"; got != want {
		t.Errorf("AppendRepeated5424 = %q, want %q", got, want)
	}
}

func TestParsePri(t *testing.T) {
	tests := []struct {
		in       string
		fac, sev int
	}{
		{"<134>x", 16, 6}, {"<0>x", 0, 0}, {"<191>x", 23, 7}, {"<192>x", 1, 5},
		{"x", 1, 5}, {"<>x", 1, 5}, {"<1234567>x", 1, 5}, {"<8>x", 1, 0},
	}
	for _, tt := range tests {
		m := Parse([]byte(tt.in), now)
		if m.Facility() != tt.fac || m.Severity() != tt.sev {
			t.Errorf("Parse(%q) = %d.%d, want %d.%d", tt.in, m.Facility(), m.Severity(), tt.fac, tt.sev)
		}
	}
}

func TestForward(t *testing.T) {
	m := Parse([]byte("<134>Nov 26 00:58:32 tg[1]: hi"), now)
	if got := string(AppendForward(nil, &m, []byte("me"))); got != "<134>Nov 26 00:58:32 me tg[1]: hi" {
		t.Fatalf("AppendForward = %q", got)
	}
	back := Parse(AppendForward(nil, &m, []byte("me")), now)
	if string(back.Host) != "me" || string(back.Tag) != "tg" || back.Pri != 134 {
		t.Fatalf("forwarded message parses back as %+v", back)
	}
}

func TestRepeatedAndTruncated(t *testing.T) {
	if got := string(AppendRepeated(nil, now, []byte("me"), 3)); got != "Nov  5 07:08:09 me last message repeated 3 times\n" {
		t.Fatalf("AppendRepeated = %q", got)
	}
	m := Parse([]byte("<13>x: "+strings.Repeat("a", 3)), now)
	m.Truncated = 9000
	if got := string(AppendLine(nil, &m, []byte("me"))); !strings.HasSuffix(got, "aaa [truncated: datagram of 9000 bytes]\n") {
		t.Fatalf("truncated line = %q", got)
	}
}

func TestParseKmsg(t *testing.T) {
	tests := []struct{ in, line string }{
		{"6,1234,5678,-;usb 1-1: new device\n SUBSYSTEM=usb\n", "Nov  5 07:08:09 me kernel: usb 1-1: new device"},
		{"14,1,2,-;userspace wrote this", "Nov  5 07:08:09 me kernel: userspace wrote this"},
		{"garbage", "Nov  5 07:08:09 me kernel: garbage"},
	}
	for _, tt := range tests {
		m := ParseKmsg([]byte(tt.in), now)
		if m.Facility() != Kern {
			t.Errorf("ParseKmsg(%q) facility %d", tt.in, m.Facility())
		}
		if got := string(AppendLine(nil, &m, []byte("me"))); got != tt.line+"\n" {
			t.Errorf("ParseKmsg(%q) = %q", tt.in, got)
		}
	}
	if m := ParseKmsg([]byte("3,1,2,-;x"), now); m.Severity() != Err {
		t.Errorf("severity %d", m.Severity())
	}
}

func TestEqual(t *testing.T) {
	a := Parse([]byte("<13>Nov 26 00:58:32 t: same"), now)
	b := Parse([]byte("<14>Nov 26 00:59:00 t: same"), now)
	c := Parse([]byte("<13>Nov 26 00:58:32 t: other"), now)
	if !Equal(&a, &b) || Equal(&a, &c) {
		t.Fatal("Equal")
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    int
		ok   bool
	}{
		{"local7", 23, true}, {"security", 4, true}, {"23", 23, true}, {"24", 0, false}, {"bom", 0, false}, {"512", 0, false},
		// 12 to 15, which glibc leaves unnamed: the names of daemon's
		// table, RFC 5424's, and the older aliases.
		{"ntp", 12, true}, {"audit", 13, true}, {"alert", 14, true}, {"clock", 15, true},
		{"console", 14, true}, {"cron2", 15, true}, {"mark", MarkFacility, true}, {"LOCAL0", 16, true},
	} {
		n, ok := LookupFacility(tt.name)
		if n != tt.n || ok != tt.ok {
			t.Errorf("LookupFacility(%q) = %d, %v", tt.name, n, ok)
		}
	}
	if Kern != int(daemon.Kern) || User != int(daemon.User) || Syslog != int(daemon.Syslog) {
		t.Error("facility numbers differ from daemon's")
	}
	// Every name daemon gives a facility selects that facility here.
	for f := daemon.Kern; f <= daemon.Local7; f++ {
		if n, ok := LookupFacility(f.String()); n != int(f) || !ok {
			t.Errorf("LookupFacility(%q) = %d, %v; want %d", f, n, ok, f)
		}
	}
	if n, ok := LookupSeverity("8"); ok {
		t.Errorf("LookupSeverity(8) = %d", n)
	}
	if n, _ := LookupSeverity("warn"); n != Warning {
		t.Errorf("warn = %d", n)
	}
}

func BenchmarkParseFormat3164(b *testing.B) {
	in := []byte("<134>Nov 26 00:58:32 syslogload[1234]: s=1 n=12345 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	host := []byte("host")
	var out []byte
	for b.Loop() {
		m := Parse(in, now)
		out = AppendLine(out[:0], &m, host)
	}
}
