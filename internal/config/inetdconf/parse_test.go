package inetdconf

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ginetd/ginetd/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden")

// summary prints the fields a parser fills, compactly and in a fixed order.
func summary(s *config.Service) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s/%s %s", s.Pos.Line, s.Name, s.Proto, s.SockType)
	if s.Wait {
		b.WriteString(" wait")
	} else {
		b.WriteString(" nowait")
	}
	if s.Host != "" {
		fmt.Fprintf(&b, " host=%s", s.Host)
	}
	if s.PortName != s.Name {
		fmt.Fprintf(&b, " port=%q", s.PortName)
	}
	if s.Path != "" {
		fmt.Fprintf(&b, " path=%s", s.Path)
	}
	if s.TCPMuxPlus {
		b.WriteString(" tcpmux+")
	} else if s.TCPMux {
		b.WriteString(" tcpmux")
	}
	b.WriteString(" " + s.User)
	if s.Group != "" {
		b.WriteString(":" + s.Group)
	}
	if s.Builtin != "" {
		b.WriteString(" internal:" + s.Builtin)
	} else {
		fmt.Fprintf(&b, " %s %q", s.Program, s.Args)
	}
	for _, l := range []struct {
		name string
		n    int
	}{{"rate", s.MaxRate}, {"child", s.MaxChild}, {"cpm", s.MaxConnPerIPMin}, {"childip", s.MaxChildPerIP}, {"accept", s.AcceptMax}} {
		if l.n != 0 {
			fmt.Fprintf(&b, " %s=%d", l.name, l.n)
		}
	}
	if s.Dialect != config.DialectInetd {
		b.WriteString(" " + s.Dialect)
	}
	return b.String()
}

// checkInvariants checks what every parse result must satisfy.
func checkInvariants(t testing.TB, svcs []*config.Service, ps config.Problems) {
	t.Helper()
	for _, p := range ps {
		if p.Pos.File == "" || p.Pos.Line <= 0 {
			t.Errorf("problem without a position: %#v", p)
		}
		if p.Msg == "" {
			t.Errorf("problem without a message: %#v", p)
		}
	}
	for _, s := range svcs {
		if s.Pos.File == "" || s.Pos.Line <= 0 {
			t.Errorf("service without a position: %#v", s)
		}
		if s.Umask != -1 || !s.InheritEnv {
			t.Errorf("%s: Umask %d InheritEnv %v", s.Pos, s.Umask, s.InheritEnv)
		}
		if s.Dialect != config.DialectInetd && s.Dialect != config.DialectNetBSD {
			t.Errorf("%s: dialect %q", s.Pos, s.Dialect)
		}
		if (s.Builtin == "") == (s.Program == "") {
			t.Errorf("%s: Builtin %q Program %q", s.Pos, s.Builtin, s.Program)
		}
		if s.Program != "" && len(s.Args) == 0 {
			t.Errorf("%s: no argv[0]", s.Pos)
		}
		if s.SockType != config.Stream && s.SockType != config.Dgram {
			t.Errorf("%s: socket type %q", s.Pos, s.SockType)
		}
		if s.Proto == "" || s.User == "" {
			t.Errorf("%s: Proto %q User %q", s.Pos, s.Proto, s.User)
		}
	}
}

func parseString(t testing.TB, src string) ([]*config.Service, config.Problems) {
	t.Helper()
	svcs, ps := Parse("inetd.conf", []byte(src))
	checkInvariants(t, svcs, ps)
	return svcs, ps
}

func TestServices(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"builtin", "daytime stream tcp nowait root internal\n",
			[]string{`1 daytime/tcp4 stream nowait root internal:daytime`}},
		{"builtin by port", "17013 stream tcp nowait root internal daytime\n",
			[]string{`1 17013/tcp4 stream nowait root internal:daytime`}},
		{"builtin by own name", "daytime-alt stream tcp nowait root internal daytime\necho stream tcp nowait root internal daytime\n",
			[]string{`1 daytime-alt/tcp4 stream nowait root internal:daytime`, `2 echo/tcp4 stream nowait root internal:echo`}},
		{"port 0", "0 dgram udp wait root internal echo\n",
			[]string{`1 0/udp4 dgram wait root internal:echo`}},
		{"program", "ftp stream tcp6 nowait root /usr/libexec/ftpd ftpd -l\n",
			[]string{`1 ftp/tcp6 stream nowait root /usr/libexec/ftpd ["ftpd" "-l"]`}},
		{"default argv0", "ftp stream tcp46 nowait root /usr/libexec/ftpd\n",
			[]string{`1 ftp/tcp46 stream nowait root /usr/libexec/ftpd ["ftpd"]`}},
		{"protocols", "a stream tcp4 nowait r /p\nb dgram udp nowait r /p\nc dgram udp4 wait r /p\nd dgram udp6 wait r /p\ne dgram udp46 wait r /p\n",
			[]string{
				`1 a/tcp4 stream nowait r /p ["p"]`,
				`2 b/udp4 dgram nowait r /p ["p"]`,
				`3 c/udp4 dgram wait r /p ["p"]`,
				`4 d/udp6 dgram wait r /p ["p"]`,
				`5 e/udp46 dgram wait r /p ["p"]`,
			}},
		{"address forms", "127.0.0.1:daytime stream tcp nowait root internal\n[::1]:7 stream tcp6 nowait root internal echo\n*:echo stream tcp nowait root internal\nlocalhost:echo dgram udp wait root internal\n",
			[]string{
				`1 daytime/tcp4 stream nowait host=127.0.0.1 root internal:daytime`,
				`2 7/tcp6 stream nowait host=::1 root internal:echo`,
				`3 echo/tcp4 stream nowait root internal:echo`,
				`4 echo/udp4 dgram wait host=localhost root internal:echo`,
			}},
		{"default address", "192.0.2.1:\necho stream tcp nowait root internal\n[::1]:\necho stream tcp6 nowait root internal\n10.0.0.1:time stream tcp nowait root internal\n*:\necho dgram udp wait root internal\n",
			[]string{
				`2 echo/tcp4 stream nowait host=192.0.2.1 root internal:echo`,
				`4 echo/tcp6 stream nowait host=::1 root internal:echo`,
				`5 time/tcp4 stream nowait host=10.0.0.1 root internal:time`,
				`7 echo/udp4 dgram wait root internal:echo`,
			}},
		{"address then service word", "127.0.0.1: echo stream tcp nowait root internal\necho dgram udp wait root internal\n",
			[]string{
				`1 echo/tcp4 stream nowait host=127.0.0.1 root internal:echo`,
				`2 echo/udp4 dgram wait root internal:echo`,
			}},
		{"unix", "/run/foo.sock stream unix nowait root /usr/bin/foo foo\n/run/bar dgram unix wait root /usr/bin/bar\n",
			[]string{
				`1 /run/foo.sock/unix stream nowait port="" path=/run/foo.sock root /usr/bin/foo ["foo"]`,
				`2 /run/bar/unix dgram wait port="" path=/run/bar root /usr/bin/bar ["bar"]`,
			}},
		{"tcpmux", "tcpmux stream tcp nowait root internal\ntcpmux/rot13 stream tcp nowait nobody /usr/bin/rot13\ntcpmux/+date stream tcp wait nobody /bin/date date -u\n",
			[]string{
				`1 tcpmux/tcp4 stream nowait root internal:tcpmux`,
				`2 rot13/tcp4 stream nowait port="tcpmux" tcpmux nobody /usr/bin/rot13 ["rot13"]`,
				`3 date/tcp4 stream nowait port="tcpmux" tcpmux+ nobody /bin/date ["date" "-u"]`,
			}},
		{"user and group", "a stream tcp nowait nobody:nogroup /p\nb stream tcp nowait nobody.kmem /p\nc stream tcp nowait 65534 /p\nd stream tcp nowait tty:tty/daemon /p\ne stream tcp nowait root/staff /p\n",
			[]string{
				`1 a/tcp4 stream nowait nobody:nogroup /p ["p"]`,
				`2 b/tcp4 stream nowait nobody:kmem /p ["p"]`,
				`3 c/tcp4 stream nowait 65534 /p ["p"]`,
				`4 d/tcp4 stream nowait tty:tty /p ["p"]`,
				`5 e/tcp4 stream nowait root /p ["p"]`,
			}},
		{"limits", "a stream tcp nowait.10 r /p\nb stream tcp nowait:20 r /p\nc stream tcp nowait.0 r /p\nd stream tcp nowait/3 r /p\ne stream tcp nowait/3/10 r /p\nf stream tcp nowait/3/10/2 r /p\ng stream,8 tcp nowait r /p\nh dgram udp wait.5 r /p\n",
			[]string{
				`1 a/tcp4 stream nowait r /p ["p"] rate=10`,
				`2 b/tcp4 stream nowait r /p ["p"] rate=20`,
				`3 c/tcp4 stream nowait r /p ["p"] rate=-1`,
				`4 d/tcp4 stream nowait r /p ["p"] child=3`,
				`5 e/tcp4 stream nowait r /p ["p"] child=3 cpm=10`,
				`6 f/tcp4 stream nowait r /p ["p"] child=3 cpm=10 childip=2`,
				`7 g/tcp4 stream nowait r /p ["p"] accept=8`,
				`8 h/udp4 dgram wait r /p ["p"] rate=5`,
			}},
		{"continuation", "ftp stream tcp nowait root\n\t/usr/libexec/ftpd\n  ftpd\n   \n\t# indented comment\n\t-l\necho stream tcp nowait root internal\n",
			[]string{
				`1 ftp/tcp4 stream nowait root /usr/libexec/ftpd ["ftpd" "-l"]`,
				`7 echo/tcp4 stream nowait root internal:echo`,
			}},
		{"empty line ends entry", "ftp stream tcp nowait root /usr/libexec/ftpd ftpd\n\n\techo stream tcp nowait root internal\n",
			[]string{
				`1 ftp/tcp4 stream nowait root /usr/libexec/ftpd ["ftpd"]`,
				`3 echo/tcp4 stream nowait root internal:echo`,
			}},
		{"hash inside a line", "sh stream tcp nowait root /bin/sh sh -c #x\n",
			[]string{`1 sh/tcp4 stream nowait root /bin/sh ["sh" "-c" "#x"]`}},
		{"quotes", "sh stream tcp nowait root /bin/sh sh -c 'exec echo \"a b\"' x\"y z\"\n",
			[]string{`1 sh/tcp4 stream nowait root /bin/sh ["sh" "-c" "exec echo \"a b\"" "xy z"]`}},
		{"crlf", "echo stream tcp nowait root internal\r\nftp stream tcp nowait root /p p\r\n",
			[]string{
				`1 echo/tcp4 stream nowait root internal:echo`,
				`2 ftp/tcp4 stream nowait root /p ["p"]`,
			}},
		{"no final newline", "echo stream tcp nowait root internal",
			[]string{`1 echo/tcp4 stream nowait root internal:echo`}},
		{"ipsec reset", "#@\necho stream tcp nowait root internal\n",
			[]string{`2 echo/tcp4 stream nowait root internal:echo`}},

		// NetBSD key-value notation.
		{"kv builtin", "echo on protocol = tcp, user = root;\n",
			[]string{`1 echo/tcp4 stream nowait root internal:echo netbsd`}},
		{"kv builtin dgram", "echo on protocol=udp6,user=root;\n",
			[]string{`1 echo/udp6 dgram wait root internal:echo netbsd`}},
		{"kv program", "finger on\n socktype = stream, protocol = tcp6, wait = no,\n user = nobody, group = nogroup,\n exec = /usr/libexec/fingerd, args = fingerd -s,\n service_max = 20, ip_max = 5, accept_max = 3;\n",
			[]string{`1 finger/tcp6 stream nowait nobody:nogroup /usr/libexec/fingerd ["fingerd" "-s"] rate=20 cpm=5 accept=3 netbsd`}},
		{"kv many per line", "echo on protocol=tcp, user=root; discard on protocol=tcp, user=root; time stream tcp nowait root internal\n",
			[]string{
				`1 echo/tcp4 stream nowait root internal:echo netbsd`,
				`1 discard/tcp4 stream nowait root internal:discard netbsd`,
				`1 time/tcp4 stream nowait root internal:time`,
			}},
		{"kv comments", "echo on # comment\n  protocol # here too\n  = tcp, # and here\n  user = root# and here\n  ;\n",
			[]string{`1 echo/tcp4 stream nowait root internal:echo netbsd`}},
		{"kv on#", "echo on#comment\n protocol = tcp, user = root;\n",
			[]string{`1 echo/tcp4 stream nowait root internal:echo netbsd`}},
		{"kv quotes", `sh on protocol = tcp, wait = no, user = root, exec = /bin/sh, args = sh -c "a, b; c # d" 'e\'f' "\x41\t\\" "";` + "\n",
			[]string{`1 sh/tcp4 stream nowait root /bin/sh ["sh" "-c" "a, b; c # d" "e'f" "A\t\\" ""] netbsd`}},
		{"kv family from address", "[::1]:echo on protocol = tcp, user = root;\nchargen on bind = ::1, protocol = udp, user = root;\ntime on bind = 127.0.0.1, protocol = tcp, user = root;\n",
			[]string{
				`1 echo/tcp6 stream nowait host=::1 root internal:echo netbsd`,
				`2 chargen/udp6 dgram wait host=::1 root internal:chargen netbsd`,
				`3 time/tcp4 stream nowait host=127.0.0.1 root internal:time netbsd`,
			}},
		{"kv off", "echo off protocol = tcp, user = root;\ndiscard on protocol = tcp, user = root;\n",
			[]string{`2 discard/tcp4 stream nowait root internal:discard netbsd`}},
		{"kv default address", "192.0.2.1:\necho on protocol = tcp, user = root;\n",
			[]string{`2 echo/tcp4 stream nowait host=192.0.2.1 root internal:echo netbsd`}},
		{"kv empty args", "x on protocol = tcp, wait = no, user = root, exec = /bin/x, args = ;\n",
			[]string{`1 x/tcp4 stream nowait root /bin/x ["x"] netbsd`}},
		{"kv wait for builtin", "echo on protocol = udp, user = root, wait = no;\n",
			[]string{`1 echo/udp4 dgram nowait root internal:echo netbsd`}},
		{"kv ipsec cleared", "#@ ipsec ah/require\necho on protocol = tcp, user = root, ipsec = ;\n#@\n",
			[]string{`2 echo/tcp4 stream nowait root internal:echo netbsd`}},
		{"kv unix", "/run/x.sock on socktype = stream, protocol = unix, wait = no, user = root, exec = /bin/x;\n",
			[]string{`1 /run/x.sock/unix stream nowait port="" path=/run/x.sock root /bin/x ["x"] netbsd`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svcs, ps := parseString(t, tt.in)
			if len(ps) > 0 {
				t.Errorf("problems:\n%s", ps.Error())
			}
			var got []string
			for _, s := range svcs {
				got = append(got, summary(s))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // Problem.Error() of every problem, in order
		services int      // services that still parse
	}{
		{"unknown socket type", "echo stream tcp nowait root internal\n\n# x\nfoo strem tcp nowait root /p\n",
			[]string{`inetd.conf:4: unknown socket type "strem"`}, 1},
		{"unsupported socket type", "foo raw tcp nowait root /p\nfoo seqpacket tcp nowait root /p\n",
			[]string{`inetd.conf:1: unsupported socket type "raw"`, `inetd.conf:2: unsupported socket type "seqpacket"`}, 0},
		{"unknown protocol", "foo stream sctp nowait root /p\n",
			[]string{`inetd.conf:1: unknown protocol "sctp"`}, 0},
		{"mismatch", "foo stream udp nowait root /p\nbar dgram tcp6 wait root /p\n",
			[]string{`inetd.conf:1: socket type "stream" does not match protocol "udp4"`, `inetd.conf:2: socket type "dgram" does not match protocol "tcp6"`}, 0},
		{"unknown wait", "foo stream tcp wiat root /p\n",
			[]string{`inetd.conf:1: unknown wait keyword "wiat"`}, 0},
		{"bad max", "a stream tcp nowait.x root /p\nb stream tcp nowait.-1 root /p\nc stream tcp nowait/1/2/3/4 root /p\nd stream tcp nowait/1/y root /p\ne stream,z tcp nowait root /p\nf dgram,3 udp wait root /p\n",
			[]string{
				`inetd.conf:1: bad max "x" in "nowait.x"`,
				`inetd.conf:2: bad max "-1" in "nowait.-1"`,
				`inetd.conf:3: too many limits in "nowait/1/2/3/4" (want WAIT/MAXCHILD/MAXCONNPERIPMIN/MAXCHILDPERIP)`,
				`inetd.conf:4: bad limit "y" in "nowait/1/y"`,
				`inetd.conf:5: bad accept-max "z" in "stream,z"`,
				`inetd.conf:6: accept-max "dgram,3" needs socket type stream`,
			}, 0},
		{"too few fields", "echo\necho stream\necho stream tcp\necho stream tcp nowait\necho stream tcp nowait root\n",
			[]string{
				`inetd.conf:1: too few fields: missing socket type`,
				`inetd.conf:2: too few fields: missing protocol`,
				`inetd.conf:3: too few fields: missing wait/nowait`,
				`inetd.conf:4: too few fields: missing user`,
				`inetd.conf:5: too few fields: missing program`,
			}, 0},
		{"relative program", "ftp stream tcp nowait root in.ftpd in.ftpd\n",
			[]string{`inetd.conf:1: program "in.ftpd" is not an absolute path`}, 0},
		{"several problems in one entry", "foo strem sctp wiat root prog\n",
			[]string{
				`inetd.conf:1: unknown socket type "strem"`,
				`inetd.conf:1: unknown protocol "sctp"`,
				`inetd.conf:1: unknown wait keyword "wiat"`,
				`inetd.conf:1: program "prog" is not an absolute path`,
			}, 0},
		{"problem on continuation line", "ftp stream tcp nowait\n\troot\n\tftpd\n",
			[]string{`inetd.conf:3: program "ftpd" is not an absolute path`}, 0},
		{"user and group", "a stream tcp nowait :wheel /p\nb stream tcp nowait root: /p\n",
			[]string{`inetd.conf:1: missing user in ":wheel"`, `inetd.conf:2: missing group in "root:"`}, 0},
		{"tcpmux", "tcpmux/foo dgram udp wait root /p\ntcpmux/ stream tcp nowait root /p\n",
			[]string{`inetd.conf:1: tcpmux service "foo" needs stream and tcp`, `inetd.conf:2: missing service name after "tcpmux/"`}, 0},
		{"unix relative path", "foo.sock stream unix nowait root /p\n",
			[]string{`inetd.conf:1: unix socket path "foo.sock" is not absolute`}, 0},
		{"unclosed quote", "sh stream tcp nowait root /bin/sh sh -c 'echo\n",
			[]string{`inetd.conf:1: unclosed ' quote`}, 1},
		{"unknown directive", ".inclde foo\necho stream tcp nowait root internal\n",
			[]string{`inetd.conf:1: unknown directive ".inclde"`}, 1},
		{"include without path", ".include\n",
			[]string{`inetd.conf:1: missing path after .include`}, 0},

		// Warnings: the entry is skipped, the rest is served.
		{"rpc", "rstatd/1-3 dgram rpc/udp wait root /usr/libexec/rpc.rstatd rpc.rstatd\necho stream tcp nowait root internal\n",
			[]string{`inetd.conf:1: warning: RPC services are not supported`}, 1},
		{"unknown builtin", "auth stream tcp nowait root internal\n17013 stream tcp nowait root internal\n",
			[]string{`inetd.conf:1: warning: unknown built-in service "auth"`, `inetd.conf:2: warning: unknown built-in service "17013"`}, 0},
		{"accept filter", "http stream:httpready tcp nowait www /p\n",
			[]string{`inetd.conf:1: warning: accept filters are not supported ("stream:httpready")`}, 0},
		{"faith", "telnet stream faith/tcp6 nowait root /p\n",
			[]string{`inetd.conf:1: warning: faith(4) services are not supported ("faith/tcp6")`}, 0},
		{"ipsec policy", "#@ in ipsec ah/transport//require\necho stream tcp nowait root internal\n#@\necho dgram udp wait root internal\n",
			[]string{`inetd.conf:2: warning: IPsec policies are not supported (policy set at inetd.conf:1)`}, 1},

		// NetBSD key-value notation.
		{"kv unknown key", "echo on protocol = tcp, user = root, colour = blue;\n",
			[]string{`inetd.conf:1: unknown option "colour"`}, 0},
		{"kv duplicate", "echo on protocol = tcp,\n user = root,\n user = nobody;\n",
			[]string{`inetd.conf:3: option "user" is already specified`}, 0},
		{"kv missing", "echo on socktype = stream;\nfoo on protocol = tcp, exec = /p, user = root;\n/bar on protocol = unix, wait = no, exec = /p, user = root;\n",
			[]string{
				`inetd.conf:1: missing required option "protocol"`,
				`inetd.conf:1: missing required option "user"`,
				`inetd.conf:2: missing required option "wait"`,
				`inetd.conf:3: missing required option "socktype"`,
			}, 0},
		{"kv bad values", "a on protocol = tcp, user = root, wait = maybe;\nb on protocol = tcp tcp6, user = root;\nc on protocol = tcp, user = root, ip_max = -3;\nd on protocol = tcp, user = root, socktype = strem;\n",
			[]string{
				`inetd.conf:1: bad value "maybe" for option "wait" (want yes or no)`,
				`inetd.conf:2: option "protocol" takes one value, not 2`,
				`inetd.conf:3: bad count "-3" for option "ip_max"`,
				`inetd.conf:4: unknown socket type "strem"`,
			}, 0},
		{"kv syntax then recovery", "a on protocol tcp, user = root;\necho on protocol = tcp, user = root;\nb on = tcp;\nc on protocol = \"tcp, user = root;\n",
			[]string{
				`inetd.conf:1: expected "=" after "protocol", found 't'`,
				`inetd.conf:3: expected an option name, found '='`,
				`inetd.conf:4: unclosed " quote`,
			}, 1},
		{"kv escapes", "a on protocol = tcp, user = root, exec = /p, wait = no, args = \"\\q\";\nb on protocol = tcp, user = root, exec = /p, wait = no, args = \"\\x4\";\n",
			[]string{
				`inetd.conf:1: unknown escape sequence "\\q"`,
				`inetd.conf:2: bad escape sequence "\\x4\""`,
			}, 0},
		{"kv missing semicolon", "echo on protocol = tcp,\n user = root\n",
			[]string{`inetd.conf:1: missing ";" at the end of the definition`}, 0},
		{"kv off still checked", "echo off protocol = tcp, user = root, colour = blue;\nauth off protocol = tcp, user = root;\n",
			[]string{`inetd.conf:1: unknown option "colour"`}, 0},
		{"kv bind conflict", "127.0.0.1:echo on bind = ::1, protocol = tcp, user = root;\n",
			[]string{`inetd.conf:1: option "bind" conflicts with the address before the service name`}, 0},
		{"kv unsupported", "a on protocol = tcp, user = root, sndbuf = 64k;\nb on protocol = tcp, user = root, recvbuf = lots;\nc on protocol = tcp, user = root, acceptfilter = httpready;\nd on protocol = tcp, user = root, ipsec = \"in ipsec esp/transport//require\";\ne on protocol = rpc/udp, user = root;\n",
			[]string{
				`inetd.conf:1: warning: socket buffer sizes (sndbuf) are not supported`,
				`inetd.conf:2: bad buffer size "lots" for option "recvbuf"`,
				`inetd.conf:3: warning: accept filters are not supported ("httpready")`,
				`inetd.conf:4: warning: IPsec policies are not supported`,
				`inetd.conf:5: warning: RPC services are not supported`,
			}, 0},
		{"positional sndbuf", "ftp stream tcp,sndbuf=64k nowait root /p\n",
			[]string{`inetd.conf:1: unknown protocol "tcp,sndbuf=64k"`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svcs, ps := parseString(t, tt.in)
			var got []string
			for _, p := range ps {
				got = append(got, p.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(svcs) != tt.services {
				t.Errorf("got %d services, want %d", len(svcs), tt.services)
			}
		})
	}
}

func TestIsNetBSD(t *testing.T) {
	for in, want := range map[string]bool{
		"echo stream tcp nowait root internal\n":           false,
		"# echo on protocol = tcp;\n":                      false,
		"echo on protocol = tcp, user = root;\n":           true,
		"echo off protocol = tcp, user = root;\n":          true,
		"echo stream tcp nowait root internal\n.include x": true,
	} {
		if got := IsNetBSD([]byte(in)); got != want {
			t.Errorf("IsNetBSD(%q) = %v, want %v", in, got, want)
		}
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestInclude(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"inetd.conf":      "192.0.2.1:\n.include d/*.conf\necho stream tcp nowait root internal\n.include 'd/sub'\n.include none/*\n",
		"d/a.conf":        "daytime stream tcp nowait root internal\n*:\n",
		"d/b.conf":        "time on protocol = tcp, user = root;\n.include ../cycle.conf\n",
		"d/sub/x.conf":    "not read\n",
		"d/dir.conf/keep": "",
		"cycle.conf":      ".include inetd.conf\n.include d/missing.conf\n",
	})
	root := filepath.Join(dir, "inetd.conf")
	svcs, ps := ParseFile(root)
	checkInvariants(t, svcs, ps)
	var got []string
	for _, s := range svcs {
		got = append(got, strings.TrimPrefix(s.Pos.File, dir+"/")+":"+summary(s))
	}
	want := []string{
		`d/a.conf:1 daytime/tcp4 stream nowait host=192.0.2.1 root internal:daytime`,
		`d/b.conf:1 time/tcp4 stream nowait host=192.0.2.1 root internal:time netbsd`,
		`inetd.conf:3 echo/tcp4 stream nowait host=192.0.2.1 root internal:echo`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var gotp []string
	for _, p := range ps {
		gotp = append(gotp, strings.ReplaceAll(p.Error(), dir+"/", ""))
	}
	wantp := []string{
		`cycle.conf:1: include cycle: inetd.conf -> d/b.conf -> cycle.conf -> inetd.conf`,
		`cycle.conf:2: cannot include "d/missing.conf": no such file or directory`,
		`inetd.conf:2: warning: skipping "d/dir.conf": not a regular file`,
		`inetd.conf:4: cannot include "d/sub": is a directory`,
	}
	if strings.Join(gotp, "\n") != strings.Join(wantp, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(gotp, "\n"), strings.Join(wantp, "\n"))
	}
}

func TestParseFileMissing(t *testing.T) {
	_, ps := ParseFile(filepath.Join(t.TempDir(), "nope.conf"))
	if len(ps) != 1 || !strings.HasSuffix(ps[0].Error(), "nope.conf: cannot read: no such file or directory") {
		t.Errorf("got %v", ps)
	}
}

// corpus lists the real-world files under testdata that must parse without
// errors; their services and warnings are kept in testdata/golden.
func corpus(t testing.TB) []string {
	files, err := filepath.Glob("testdata/*.conf")
	if err != nil {
		t.Fatal(err)
	}
	return append(files, "testdata/netbsd/inetd.conf")
}

func TestCorpus(t *testing.T) {
	for _, name := range corpus(t) {
		t.Run(filepath.Base(filepath.Dir(name))+"/"+filepath.Base(name), func(t *testing.T) {
			svcs, ps := ParseFile(name)
			checkInvariants(t, svcs, ps)
			if ps.HasErrors() {
				t.Errorf("errors:\n%s", ps.Errors().Error())
			}
			var b strings.Builder
			for _, s := range svcs {
				fmt.Fprintf(&b, "%s: %s\n", s.Pos.File, summary(s))
			}
			for _, p := range ps {
				fmt.Fprintf(&b, "%s\n", p.Error())
			}
			golden := filepath.Join("testdata", "golden", strings.ReplaceAll(strings.TrimPrefix(name, "testdata/"), "/", "_")+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s", golden, b.String())
			}
		})
	}
}
