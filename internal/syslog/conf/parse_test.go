package conf

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// sevs builds a mask byte from severity numbers.
func sevs(s ...int) uint8 {
	var b uint8
	for _, x := range s {
		b |= 1 << x
	}
	return b
}

func TestSelectors(t *testing.T) {
	all := uint8(0xff)
	tests := []struct {
		sel  string
		want map[int]uint8 // facility -> mask; others must be 0
		each uint8         // when want is nil: every facility has this mask
	}{
		{sel: "*.*", each: all},
		{sel: "*.info", each: sevs(0, 1, 2, 3, 4, 5, 6)},
		{sel: "mail.err", want: map[int]uint8{2: sevs(0, 1, 2, 3)}},
		{sel: "mail,news.=info", want: map[int]uint8{2: sevs(6), 7: sevs(6)}},
		{sel: "user.*;user.!err", want: map[int]uint8{1: sevs(4, 5, 6, 7)}},
		{sel: "user.*;user.!=notice", want: map[int]uint8{1: all &^ sevs(5)}},
		{sel: "user.=debug;user.=info", want: map[int]uint8{1: sevs(6, 7)}},
		{sel: "*.notice;user.none", want: func() map[int]uint8 {
			m := map[int]uint8{}
			for f := range msg.NumFacilities {
				if f != 1 {
					m[f] = sevs(0, 1, 2, 3, 4, 5)
				}
			}
			return m
		}()},
		{sel: "local0.!*", want: map[int]uint8{}},
		{sel: "8.6", want: map[int]uint8{8: sevs(0, 1, 2, 3, 4, 5, 6)}},
		{sel: "mark.*", want: map[int]uint8{}},
		{sel: "kern.emerg;kern.panic", want: map[int]uint8{0: sevs(0)}},
	}
	for _, tt := range tests {
		cfg, errs := Parse("c", []byte(tt.sel+" /f\n"))
		if errs != nil || len(cfg.Rules) != 1 {
			t.Errorf("%s: %v", tt.sel, errs)
			continue
		}
		var want Mask
		for f := range want {
			if tt.want == nil {
				want[f] = tt.each
			} else {
				want[f] = tt.want[f]
			}
		}
		if got := cfg.Rules[0].Mask; got != want {
			t.Errorf("%s:\n got %v\nwant %v", tt.sel, got, want)
		}
	}
}

func TestActions(t *testing.T) {
	tests := []struct {
		act  string
		want Action
	}{
		{"/var/log/messages", Action{Kind: File, Path: "/var/log/messages", Sync: true}},
		{"-/var/log/messages", Action{Kind: File, Path: "/var/log/messages"}},
		{"|/run/fifo", Action{Kind: Fifo, Path: "/run/fifo"}},
		{"@loghost", Action{Kind: Forward, Host: "loghost", Port: "514"}},
		{"@127.0.0.1:5514", Action{Kind: Forward, Host: "127.0.0.1", Port: "5514"}},
		{"@[::1]:5514", Action{Kind: Forward, Host: "::1", Port: "5514"}},
		{"@[::1]", Action{Kind: Forward, Host: "::1", Port: "514"}},
		{"@::1", Action{Kind: Forward, Host: "::1", Port: "514"}},
		{"*", Action{Kind: Wall}},
		{"root", Action{Kind: Users, Users: []string{"root"}}},
		{"root,alice", Action{Kind: Users, Users: []string{"root", "alice"}}},
		// sysklogd 2's options
		{"/var/log/5424 ;RFC5424", Action{Kind: File, Path: "/var/log/5424", Sync: true, RFC5424: true}},
		{"-/var/log/5424;rfc5424", Action{Kind: File, Path: "/var/log/5424", RFC5424: true}},
		{"|/run/fifo ;RFC5424", Action{Kind: Fifo, Path: "/run/fifo", RFC5424: true}},
		{"@loghost:514 ;RFC5424", Action{Kind: Forward, Host: "loghost", Port: "514", RFC5424: true}},
		{"/var/log/bsd ;RFC3164", Action{Kind: File, Path: "/var/log/bsd", Sync: true}},
	}
	for _, tt := range tests {
		cfg, errs := Parse("c", []byte("*.*\t"+tt.act+"\n"))
		if errs != nil {
			t.Errorf("%s: %v", tt.act, errs)
			continue
		}
		if got := cfg.Rules[0].Action; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.act, got, tt.want)
		}
	}
}

// TestProblems includes the oddities of GNU inetutils' tests/syslogd.sh.
func TestProblems(t *testing.T) {
	src := `*.*	/out
# Test the removal of leading blanks and correct line wrapping.
     *.notice \
   /notice
12345
*.*
*.	/dev/null
user.8	/dev/null
bom.7	/dev/null
512.err	/dev/null
mail.info	-relative
*.*	@
*.*	@h:0
*.*	|fifo
$ModLoad imuxsock
user.warn;bad.crit;mail.nonsense /x
*.*	/x ;RFC9999
*.*	root ;RFC5424
*.*	;RFC5424
`
	cfg, errs := Parse("syslog.conf", []byte(src))
	want := []string{
		`syslog.conf:5: selector "12345": missing ".priority"`,
		`syslog.conf:5: missing action after "12345"`,
		`syslog.conf:6: missing action after "*.*"`,
		`syslog.conf:7: selector "*.": missing priority`,
		`syslog.conf:8: unknown priority "8"`,
		`syslog.conf:9: unknown facility "bom"`,
		`syslog.conf:10: unknown facility "512"`,
		`syslog.conf:11: unknown action "-relative" (expected /file, -/file, @host, |fifo, * or user names)`,
		`syslog.conf:12: forward "@": missing host`,
		`syslog.conf:13: forward "@h:0": bad port "0"`,
		`syslog.conf:14: fifo "fifo": path must be absolute`,
		`syslog.conf:15: unsupported directive "$ModLoad" (only the legacy selector/action form is understood)`,
		`syslog.conf:16: unknown facility "bad"`,
		`syslog.conf:16: unknown priority "nonsense"`,
		`syslog.conf:17: unknown action option "RFC9999" (expected RFC5424 or RFC3164)`,
		`syslog.conf:18: action option "RFC5424" applies to files, pipes and forwarding only`,
		`syslog.conf:19: missing action before ";RFC5424"`,
	}
	if got := strings.Split(errs.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(cfg.Rules) != 2 || cfg.Rules[1].Pos.Line != 3 || cfg.Rules[1].Action.Path != "/notice" {
		t.Errorf("rules: %+v", cfg.Rules)
	}
}

func TestContinuationAtEOF(t *testing.T) {
	cfg, errs := Parse("c", []byte("*.* \\\n/x \\"))
	if errs != nil || len(cfg.Rules) != 1 || cfg.Rules[0].Action.Path != "/x" {
		t.Fatalf("%+v %v", cfg, errs)
	}
}

func TestMatch(t *testing.T) {
	cfg, _ := Parse("c", []byte("user.=info;local0.err /x"))
	m := &cfg.Rules[0].Mask
	for _, tt := range []struct {
		pri  uint8
		want bool
	}{{1<<3 | 6, true}, {1<<3 | 5, false}, {16<<3 | 3, true}, {16<<3 | 4, false}, {0, false}} {
		if m.Match(tt.pri) != tt.want {
			t.Errorf("Match(%d) = %v", tt.pri, !tt.want)
		}
	}
}
