package xinetdconf

import (
	"io/fs"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// mapFS serves includes from a map, for tests and fuzzing.
type mapFS = fstest.MapFS

func parseString(src string) ([]*config.Service, config.Problems) {
	return parse(mapFS{}, "x.conf", []byte(src))
}

// svc wraps service lines in a minimal valid external service.
const base = `
	socket_type = stream
	wait = no
	user = nobody
	server = /bin/cat
`

func TestServices(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		src  string
		want config.Service // only the fields set here are compared
		cmp  []string       // field names to compare
	}{
		{
			name: "minimal",
			src:  "service foo\n{" + base + "}\n",
			want: config.Service{Pos: config.Pos{File: "x.conf", Line: 1}, Dialect: config.DialectXinetd,
				Name: "foo", ID: "foo", SockType: config.Stream, Proto: config.TCP4, PortName: "foo",
				Program: "/bin/cat", Args: []string{"cat"}, User: "nobody", Umask: -1, NoGroups: true},
			cmp: []string{"Pos", "Dialect", "Name", "ID", "SockType", "Proto", "PortName", "Port",
				"Program", "Args", "User", "Umask", "NoGroups", "InheritEnv", "Wait", "Builtin"},
		},
		{
			name: "brace on the service line, udp from protocol",
			src:  "service tftp {\n protocol = udp\n wait = yes\n user = root\n server = /usr/sbin/in.tftpd\n server_args = -s /srv/tftp\n}\n",
			want: config.Service{SockType: config.Dgram, Proto: config.UDP4, Wait: true,
				Args: []string{"in.tftpd", "-s", "/srv/tftp"}},
			cmp: []string{"SockType", "Proto", "Wait", "Args"},
		},
		{
			name: "unlisted with port, id",
			src:  "service x\n{\n type = UNLISTED\n id = x-tcp\n port = 2401" + base + "}\n",
			want: config.Service{ID: "x-tcp", Port: 2401, PortName: "2401"},
			cmp:  []string{"ID", "Port", "PortName"},
		},
		{
			name: "port 0",
			src:  "service x\n{\n type = UNLISTED\n port = 0" + base + "}\n",
			want: config.Service{Port: 0, PortName: "0"},
			cmp:  []string{"Port", "PortName"},
		},
		{
			name: "NAMEINARGS",
			src:  "service x\n{\n flags = NAMEINARGS REUSE NODELAY KEEPALIVE NOLIBWRAP NORETRY\n server_args = tcpd -x" + base + "}\n",
			want: config.Service{Args: []string{"tcpd", "-x"}, Reuse: true, NoDelay: true, KeepAlive: true, NoLibwrap: true},
			cmp:  []string{"Args", "Reuse", "NoDelay", "KeepAlive", "NoLibwrap"},
		},
		{
			name: "IPv6 flag is dual stack",
			src:  "service x\n{\n flags = IPv6" + base + "}\n",
			want: config.Service{Proto: config.TCP46},
			cmp:  []string{"Proto"},
		},
		{
			name: "IPv6 flag and v6only",
			src:  "service x\n{\n flags = IPv6\n v6only = yes" + base + "}\n",
			want: config.Service{Proto: config.TCP6, V6Only: &yes},
			cmp:  []string{"Proto", "V6Only"},
		},
		{
			name: "bind to an IPv6 literal",
			src:  "service x\n{\n bind = ::1" + base + "}\n",
			want: config.Service{Proto: config.TCP46, Host: "::1"},
			cmp:  []string{"Proto", "Host"},
		},
		{
			name: "interface is bind",
			src:  "service x\n{\n interface = 127.0.0.1\n flags = IPv4" + base + "}\n",
			want: config.Service{Proto: config.TCP4, Host: "127.0.0.1"},
			cmp:  []string{"Proto", "Host"},
		},
		{
			name: "both flags",
			src:  "service x\n{\n flags = IPv4 IPv6" + base + "}\n",
			want: config.Service{Proto: config.TCP46},
			cmp:  []string{"Proto"},
		},
		{
			name: "internal with xinetd id",
			src:  "service daytime\n{\n type = INTERNAL\n id = daytime-dgram\n socket_type = dgram\n protocol = udp\n user = root\n wait = yes\n}\n",
			want: config.Service{Builtin: "daytime", ID: "daytime-dgram", Proto: config.UDP4, PortName: "daytime"},
			cmp:  []string{"Builtin", "ID", "Proto", "PortName"},
		},
		{
			name: "internal named by id",
			src:  "service myecho\n{\n type = INTERNAL UNLISTED\n id = echo-stream\n port = 7007\n socket_type = stream\n wait = no\n}\n",
			want: config.Service{Builtin: "echo", PortName: "7007", Port: 7007},
			cmp:  []string{"Builtin", "PortName", "Port"},
		},
		{
			name: "sensor",
			src:  "service ftp\n{\n flags = SENSOR\n socket_type = stream\n wait = no\n deny_time = 120\n}\n",
			want: config.Service{Builtin: "discard", Sensor: true, DenyTime: 120 * time.Minute},
			cmp:  []string{"Builtin", "Sensor", "DenyTime"},
		},
		{
			name: "tcpmux sub-service",
			src:  "service helper\n{\n type = TCPMUXPLUS UNLISTED\n protocol = tcp" + base + "}\n",
			want: config.Service{TCPMux: true, TCPMuxPlus: true, PortName: "", Port: 0},
			cmp:  []string{"TCPMux", "TCPMuxPlus", "PortName", "Port"},
		},
		{
			name: "redirect",
			src:  "service x\n{\n socket_type = stream\n wait = no\n user = nobody\n redirect = 10.0.0.1 8080\n log_on_success = TRAFFIC\n}\n",
			want: config.Service{Redirect: "10.0.0.1:8080", LogOnSuccess: []string{"TRAFFIC"}},
			cmp:  []string{"Redirect", "LogOnSuccess", "Program"},
		},
		{
			name: "limits",
			src: "service x\n{\n instances = 20\n per_source = UNLIMITED\n cps = 25 30\n max_load = 2.5\n deny_time = FOREVER\n" +
				" nice = -5\n umask = 022\n groups = yes\n rlimit_as = 8M\n rlimit_cpu = 20\n rlimit_files = UNLIMITED\n rlimit_rss = 4k" + base + "}\n",
			want: config.Service{MaxChild: 20, MaxChildPerIP: 0, CPSRate: 25, CPSPause: 30 * time.Second, MaxLoad: 2.5,
				DenyTime: -1, Nice: -5, Umask: 0o22, NoGroups: false, Rlimits: []config.Rlimit{
					{Resource: syscall.RLIMIT_AS, Cur: 8 << 20, Max: 8 << 20},
					{Resource: syscall.RLIMIT_CPU, Cur: 20, Max: 20},
					{Resource: syscall.RLIMIT_NOFILE, Cur: ^uint64(0), Max: ^uint64(0)},
					{Resource: rlimitRSS, Cur: 4096, Max: 4096},
				}},
			cmp: []string{"MaxChild", "MaxChildPerIP", "CPSRate", "CPSPause", "MaxLoad", "DenyTime", "Nice", "Umask", "NoGroups", "Rlimits"},
		},
		{
			name: "environment and access",
			src: "service x\n{\n env = A=1 B=2\n env += C=3\n passenv = PATH HOME\n passenv -= HOME\n" +
				" only_from = 10.0.0.0/8 192.168.{1,2}.0\n no_access = 10.1.2.3\n access_times = 8:00-12:00 13:00-17:30" + base + "}\n",
			want: config.Service{Env: []string{"A=1", "B=2", "C=3"}, PassEnv: []string{"PATH"},
				OnlyFrom: []string{"10.0.0.0/8", "192.168.{1,2}.0"}, NoAccess: []string{"10.1.2.3"},
				AccessTimes: []string{"8:00-12:00", "13:00-17:30"}},
			cmp: []string{"Env", "PassEnv", "OnlyFrom", "NoAccess", "AccessTimes", "InheritEnv"},
		},
		{
			name: "only_from with no value refuses all",
			src:  "service x\n{\n only_from =" + base + "}\n",
			want: config.Service{OnlyFrom: []string{}, OnlyFromNone: true},
			cmp:  []string{"OnlyFrom", "OnlyFromNone"},
		},
		{
			name: "logging and banners",
			src: "service x\n{\n log_type = SYSLOG authpriv warning\n log_on_success = PID HOST\n log_on_success += DURATION\n" +
				" log_on_failure = HOST ATTEMPT\n banner = /etc/banner\n banner_success = /etc/ok\n banner_fail = /etc/no\n libwrap = foo" + base + "}\n",
			want: config.Service{LogType: &config.LogType{Facility: "authpriv", Level: "warning"},
				LogOnSuccess: []string{"PID", "HOST", "DURATION"}, LogOnFailure: []string{"HOST", "ATTEMPT"},
				Banner: "/etc/banner", BannerSuccess: "/etc/ok", BannerFail: "/etc/no", Libwrap: "foo"},
			cmp: []string{"LogType", "LogOnSuccess", "LogOnFailure", "Banner", "BannerSuccess", "BannerFail", "Libwrap"},
		},
		{
			name: "log to a file",
			src:  "service x\n{\n log_type = FILE /var/log/x.log" + base + "}\n",
			want: config.Service{LogType: &config.LogType{File: "/var/log/x.log"}},
			cmp:  []string{"LogType"},
		},
		{
			name: "ginetd extensions",
			src: "service x\n{\n proxy_protocol = yes\n proxy_trusted = 10.0.0.0/8 ::1\n tls_cert = /c.pem\n tls_key = /k.pem\n" +
				" tls_client_ca = /ca.pem\n tls_min_version = TLS1.3\n max_lifetime = 1h\n kill_grace = 10\n" +
				" limit_message = Too busy, # try later\\r\\n\n chroot = /srv/jail\n no_new_privs = yes\n memory_max = 64M\n" +
				" cpu_max = 50%\n pids_max = 32\n socket_activation = yes\n v6only = no" + base + "}\n",
			want: config.Service{ProxyProtocol: true, ProxyTrusted: []string{"10.0.0.0/8", "::1"}, TLSCert: "/c.pem",
				TLSKey: "/k.pem", TLSClientCA: "/ca.pem", TLSMinVersion: "1.3", MaxLifetime: time.Hour,
				KillGrace: 10 * time.Second, LimitMessage: "Too busy, # try later\r\n", Chroot: "/srv/jail",
				NoNewPrivs: true, MemoryMax: "67108864", CPUMax: "50000 100000", PidsMax: "32",
				SocketActivation: true, V6Only: &no},
			cmp: []string{"ProxyProtocol", "ProxyTrusted", "TLSCert", "TLSKey", "TLSClientCA", "TLSMinVersion",
				"MaxLifetime", "KillGrace", "LimitMessage", "Chroot", "NoNewPrivs", "MemoryMax", "CPUMax", "PidsMax",
				"SocketActivation", "V6Only"},
		},
		{
			name: "trailing comments and CRLF",
			src:  "service x\r\n{\r\n nice = 5 # be nice\r\n server_args = a # b\r\n" + base + "}\r\n",
			want: config.Service{Nice: 5, Args: []string{"cat", "a", "#", "b"}},
			cmp:  []string{"Nice", "Args"},
		},
		{
			name: "no space around operators",
			src:  "service x\n{\n nice=3\n env+=A=b" + base + "}\n",
			want: config.Service{Nice: 3, Env: []string{"A=b"}},
			cmp:  []string{"Nice", "Env"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svcs, ps := parseString(tt.src)
			if ps.HasErrors() || len(ps) > 0 {
				t.Fatalf("problems:\n%v", ps.Error())
			}
			if len(svcs) != 1 {
				t.Fatalf("got %d services, want 1", len(svcs))
			}
			got, want := reflect.ValueOf(*svcs[0]), reflect.ValueOf(tt.want)
			for _, f := range tt.cmp {
				g, w := got.FieldByName(f).Interface(), want.FieldByName(f).Interface()
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s = %#v, want %#v", f, g, w)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	src := `
service late
{
	socket_type = stream
	wait = no
	user = nobody
	server = /bin/late
	only_from += 10.0.0.1
	log_on_failure -= HOST
}

defaults
{
	log_type = SYSLOG daemon
	log_on_failure = HOST ATTEMPT
	only_from = 127.0.0.1
	only_from = ::1
	instances = 30
	per_source = 5
	cps = 50 10
	umask = 002
	groups = yes
	bind = 127.0.0.1
	v6only = no
	passenv = PATH
	banner = /etc/issue.net
	limit_message = busy
}

service own
{
	socket_type = stream
	wait = no
	user = nobody
	server = /bin/own
	only_from = 192.168.0.0/16
	instances = UNLIMITED
	umask = 077
	groups = no
	passenv =
	bind = 10.0.0.1
}
`
	svcs, ps := parseString(src)
	if len(ps) > 0 {
		t.Fatalf("problems:\n%v", ps.Error())
	}
	if len(svcs) != 2 {
		t.Fatalf("got %d services", len(svcs))
	}
	late, own := svcs[0], svcs[1]
	no := false
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"late.LogType", late.LogType, &config.LogType{Facility: "daemon", Level: "info"}},
		{"late.LogOnFailure", late.LogOnFailure, []string{"ATTEMPT"}},
		{"late.OnlyFrom", late.OnlyFrom, []string{"127.0.0.1", "::1", "10.0.0.1"}},
		{"late.MaxChild", late.MaxChild, 30},
		{"late.MaxChildPerIP", late.MaxChildPerIP, 5},
		{"late.CPS", [2]any{late.CPSRate, late.CPSPause}, [2]any{50, 10 * time.Second}},
		{"late.Umask", late.Umask, 0o2},
		{"late.NoGroups", late.NoGroups, false},
		{"late.Host", late.Host, "127.0.0.1"},
		{"late.V6Only", late.V6Only, &no},
		{"late.PassEnv", late.PassEnv, []string{"PATH"}},
		{"late.Banner", late.Banner, "/etc/issue.net"},
		{"late.LimitMessage", late.LimitMessage, "busy"},
		{"own.OnlyFrom", own.OnlyFrom, []string{"192.168.0.0/16"}},
		{"own.MaxChild", own.MaxChild, 0},
		{"own.Umask", own.Umask, 0o77},
		{"own.NoGroups", own.NoGroups, true},
		{"own.PassEnv", own.PassEnv, []string(nil)},
		{"own.Host", own.Host, "10.0.0.1"},
		{"own.LogOnFailure", own.LogOnFailure, []string{"HOST", "ATTEMPT"}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestEnabledDisabled(t *testing.T) {
	svc := func(name, extra string) string {
		return "service " + name + "\n{\n" + extra + base + "}\n"
	}
	tests := []struct {
		name string
		src  string
		want []string // ids of the services that run
	}{
		{"disable", svc("a", "disable = yes\n") + svc("b", "disable = no\n"), []string{"b"}},
		{"enabled by id", "defaults\n{\n enabled = b-id c\n}\n" + svc("a", "") + svc("b", "id = b-id\n") + svc("c", ""), []string{"b-id", "c"}},
		{"enabled empty", "defaults\n{\n enabled =\n}\n" + svc("a", ""), nil},
		{"disabled", "defaults\n{\n disabled = a\n disabled += c\n}\n" + svc("a", "") + svc("b", "") + svc("c", ""), []string{"b"}},
		{"disable wins over enabled", "defaults\n{\n enabled = a\n}\n" + svc("a", "disable = yes\n"), nil},
		{"disabled service with bad attributes only warns", svc("a", "disable = yes\nbogus = 1\nnice = x\n"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svcs, ps := parseString(tt.src)
			if ps.HasErrors() {
				t.Fatalf("errors:\n%v", ps.Error())
			}
			var ids []string
			for _, s := range svcs {
				ids = append(ids, s.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("services %q, want %q", ids, tt.want)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
		run  int // services that still run
	}{
		{
			name: "unknown attribute",
			src:  "service bar\n{\n foo = 1" + base + "}\n",
			want: []string{`x.conf:3: unknown attribute "foo" in service bar`},
		},
		{
			name: "all problems are reported",
			src:  "service bar\n{\n foo = 1\n wait = maybe\n nice = 99\n socket_type = strem\n}\nservice ok\n{" + base + "}\n",
			want: []string{
				`x.conf:3: unknown attribute "foo" in service bar`,
				`x.conf:4: bad value "maybe" for wait in service bar (want yes or no)`,
				`x.conf:5: bad value "99" for nice in service bar (want a number from -20 to 19)`,
				`x.conf:6: bad value "strem" for socket_type in service bar (want stream or dgram)`,
				`x.conf:1: missing attribute "socket_type" in service bar`,
				`x.conf:1: missing attribute "wait" in service bar`,
				`x.conf:1: missing attribute "user" in service bar`,
				`x.conf:1: missing attribute "server" in service bar`,
			},
			run: 1,
		},
		{
			name: "unlisted needs a port",
			src:  "service bar\n{\n type = UNLISTED" + base + "}\n",
			want: []string{`x.conf:1: missing attribute "port" in service bar`},
		},
		{
			name: "missing open brace",
			src:  "service bar\n socket_type = stream\n}\nservice ok\n{" + base + "}\n",
			want: []string{`x.conf:1: missing "{" after service bar`},
			run:  1,
		},
		{
			name: "missing close brace",
			src:  "service bar\n{" + base + "service ok\n{" + base + "}\n",
			want: []string{`x.conf:7: missing "}" before "service" (service bar starts at line 1)`},
			run:  1,
		},
		{
			name: "missing close brace at end",
			src:  "service bar\n{" + base,
			want: []string{`x.conf:1: missing "}" at end of service bar`},
		},
		{
			name: "close brace not on its own line",
			src:  "service bar\n{" + base + " nice = 1 }\n",
			want: []string{`x.conf:7: "}" must be on a line of its own in service bar`},
		},
		{
			name: "junk at top level",
			src:  "servce bar\n{\n x = 1\n}\n}\n",
			want: []string{
				`x.conf:1: unexpected "servce": want service, defaults, include or includedir`,
				`x.conf:5: unexpected "}"`,
			},
		},
		{
			name: "service name missing",
			src:  "service\n{\n}\n",
			want: []string{`x.conf:1: service name missing`},
		},
		{
			name: "missing operator",
			src:  "service bar\n{\n wait no" + base + "}\n",
			want: []string{`x.conf:3: missing operator (=, += or -=) after "wait" in service bar`},
		},
		{
			name: "wrong operator and count",
			src:  "service bar\n{\n nice += 1\n cps = 1\n type =" + base + "}\n",
			want: []string{
				`x.conf:3: operator "+=" cannot be used for attribute "nice" in service bar`,
				`x.conf:4: attribute "cps" needs 2 values, got 1 in service bar`,
				`x.conf:5: attribute "type" needs at least 1 value in service bar`,
			},
		},
		{
			name: "already set is a warning",
			src:  "service bar\n{\n nice = 1\n nice = 2" + base + "}\n",
			want: []string{`x.conf:4: warning: attribute "nice" already set at line 3 in service bar; this one is ignored`},
			run:  1,
		},
		{
			name: "defaults-only and service-only attributes",
			src:  "defaults\n{\n server = /bin/x\n enabled = bar\n}\nservice bar\n{\n enabled = b" + base + "}\n",
			want: []string{
				`x.conf:3: attribute "server" is not allowed in defaults`,
				`x.conf:8: unknown attribute "enabled" in service bar`,
			},
		},
		{
			name: "two defaults in a file",
			src:  "defaults\n{\n}\ndefaults\n{\n}\n",
			want: []string{`x.conf:4: only one defaults entry is allowed in a file (the first is at line 1)`},
		},
		{
			name: "unsupported socket type and protocol are warnings",
			src: "service a\n{\n socket_type = raw\n protocol = icmp\n wait = no\n user = root\n server = /bin/x\n}\n" +
				"service b\n{\n protocol = sctp\n socket_type = stream\n wait = no\n user = root\n server = /bin/x\n}\n",
			want: []string{
				`x.conf:3: warning: socket_type raw is not supported (service a); service skipped`,
				`x.conf:11: warning: protocol sctp is not supported (service b); service skipped`,
			},
		},
		{
			name: "rpc and special services are skipped",
			src:  "service fam\n{\n type = RPC\n rpc_version = 2" + base + "}\nservice servers\n{\n type = INTERNAL UNLISTED\n port = 9099\n socket_type = stream\n wait = no\n}\n",
			want: []string{
				`x.conf:3: warning: RPC services are not supported (service fam); service skipped`,
				`x.conf:12: warning: xinetd's internal service "servers" is not supported; service skipped`,
			},
		},
		{
			name: "not implemented flags",
			src:  "service a\n{\n flags = INTERCEPT" + base + "}\nservice b\n{\n flags = IDONLY" + base + "}\n",
			want: []string{
				`x.conf:3: warning: flag INTERCEPT is not implemented; ignored in service a`,
				`x.conf:11: warning: flag IDONLY is not implemented (service b); service skipped`,
			},
			run: 1,
		},
		{
			name: "semantic checks",
			src: "service a\n{\n socket_type = dgram\n protocol = tcp\n wait = no\n type = INTERNAL\n}\n" +
				"service nosuch\n{\n type = INTERNAL\n socket_type = stream\n wait = no\n}\n" +
				"service c\n{\n flags = NAMEINARGS" + base + "}\n" +
				"service d\n{\n redirect = h 80\n socket_type = dgram\n wait = yes\n log_on_success = TRAFFIC\n user = u\n}\n" +
				"service e\n{\n type = TCPMUX\n protocol = udp\n wait = no\n user = u\n server = /x\n}\n" +
				"service f\n{\n flags = IPv6\n bind = 10.0.0.1" + base + "}\n" +
				"service g\n{\n tls_cert = /c\n proxy_protocol = yes" + base + "}\n" +
				"service h\n{\n type = TCPMUX UNLISTED\n tls_cert = /c\n tls_key = /k\n protocol = tcp" + base + "}\n" +
				"service i\n{\n tls_cert = /c\n tls_key = /k\n tls_min_version = 1.1" + base + "}\n" +
				"service j\n{\n flags = SENSOR\n socket_type = dgram\n wait = yes\n}\n",
			want: []string{
				`x.conf:4: socket_type dgram does not go with protocol tcp in service a`,
				`x.conf:10: no such internal service: nosuch/stream`,
				`x.conf:16: flag NAMEINARGS needs server_args in service c`,
				`x.conf:24: redirect needs socket_type stream in service d`,
				`x.conf:32: tcpmux service e needs type UNLISTED too`,
				`x.conf:33: tcpmux service e needs protocol tcp`,
				`x.conf:41: bind address 10.0.0.1 is IPv4 but flags has IPv6 in service f`,
				`x.conf:49: tls_cert and tls_key go together in service g`,
				`x.conf:50: proxy_protocol needs proxy_trusted in service g`,
				`x.conf:59: TLS and proxy_protocol go on the tcpmux service, not on tcpmux service h`,
				`x.conf:71: bad value "1.1" for tls_min_version in service i (want 1.2 or 1.3)`,
				`x.conf:79: flag SENSOR needs socket_type stream in service j: a datagram's source address can be forged`,
			},
		},
		{
			name: "bad values",
			src: "service a\n{\n access_times = 8-12\n env = NOEQUALS\n env -= A=1\n only_from = 1.2.3.4,5.6.7.8\n" +
				" umask = 999\n port = 70000\n instances = -1\n rlimit_as = 1G\n log_type = SYSLOG nosuch\n" +
				" deny_time = soon\n max_load = 0\n tls_min_version = 1.4\n max_lifetime = 0\n server = relative/path" +
				"\n socket_type = stream\n wait = no\n user = u\n}\n",
			want: []string{
				`x.conf:3: bad value "8-12" for access_times in service a (want hh:mm-hh:mm)`,
				`x.conf:4: bad value "NOEQUALS" for env in service a (want NAME=VALUE)`,
				`x.conf:5: operator "-=" cannot be used for attribute "env" in service a`,
				`x.conf:6: address "1.2.3.4,5.6.7.8" in only_from of service a has a comma in it: separate addresses with spaces`,
				`x.conf:7: bad value "999" for umask in service a (want an octal number from 0 to 777)`,
				`x.conf:8: bad value "70000" for port in service a (want a port number from 0 to 65535)`,
				`x.conf:9: bad value "-1" for instances in service a (want a number or UNLIMITED)`,
				`x.conf:10: bad value "1G" for rlimit_as in service a (want a number with an optional K or M suffix, or UNLIMITED)`,
				`x.conf:11: bad value "nosuch" for log_type in service a (want a syslog facility: daemon, auth, authpriv, user, mail, lpr, news, uucp, ftp, local0, local1, local2, local3, local4, local5, local6, local7)`,
				`x.conf:12: bad value "soon" for deny_time in service a (want minutes, FOREVER or NEVER)`,
				`x.conf:13: bad value "0" for max_load in service a (want a load average above 0)`,
				`x.conf:14: bad value "1.4" for tls_min_version in service a (want 1.2 or 1.3)`,
				`x.conf:15: bad value "0" for max_lifetime in service a (want a duration such as 90s or 1h30m, or seconds)`,
				`x.conf:16: server "relative/path" in service a must be an absolute path`,
				`x.conf:1: missing attribute "server" in service a`,
			},
		},
		{
			name: "include problems",
			src:  "include nosuch\nincludedir nodir\ninclude\n",
			want: []string{
				`x.conf:1: cannot include "nosuch": file does not exist`,
				`x.conf:2: cannot include "nodir": file does not exist`,
				`x.conf:3: include needs exactly one file name`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svcs, ps := parseString(tt.src)
			var got []string
			for _, p := range ps {
				got = append(got, p.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(svcs) != tt.run {
				t.Errorf("%d services run, want %d", len(svcs), tt.run)
			}
		})
	}
}

func TestInclude(t *testing.T) {
	svcFile := func(name string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("service " + name + "\n{" + base + "}\n")}
	}
	fsys := mapFS{
		"etc/xinetd.conf":         {Data: []byte("defaults\n{\n instances = 7\n}\ninclude extra.conf\nincludedir xinetd.d\n")},
		"etc/extra.conf":          svcFile("extra"),
		"etc/xinetd.d/b":          svcFile("b"),
		"etc/xinetd.d/a":          svcFile("a"),
		"etc/xinetd.d/B":          svcFile("B"),
		"etc/xinetd.d/c.rpmsave":  {Data: []byte("garbage {\n")},
		"etc/xinetd.d/c~":         {Data: []byte("garbage {\n")},
		"etc/xinetd.d/.hidden":    {Data: []byte("garbage {\n")},
		"etc/xinetd.d/sub/x":      svcFile("x"),
		"etc/xinetd.d/fifo":       {Mode: fs.ModeNamedPipe},
		"etc/loop/a.conf":         {Data: []byte("include b.conf\n")},
		"etc/loop/b.conf":         {Data: []byte("include ../loop/a.conf\n")},
		"etc/self/xinetd.conf":    {Data: []byte("includedir .\n")},
		"etc/self/d":              svcFile("d"),
		"etc/self/e":              {Data: []byte("include /etc/self/xinetd.conf\n")},
		"etc/abs/xinetd.conf":     {Data: []byte("include /etc/extra.conf\n")},
		"etc/xinetd.d/zz-defults": {Data: []byte("defaults\n{\n per_source = 3\n}\n")},
	}
	t.Run("order and skipping", func(t *testing.T) {
		src, _ := fsys.ReadFile("etc/xinetd.conf")
		svcs, ps := parse(fsys, "/etc/xinetd.conf", src)
		var got []string
		for _, s := range svcs {
			got = append(got, s.Name+"@"+s.Pos.String())
			if s.MaxChild != 7 || s.MaxChildPerIP != 3 {
				t.Errorf("%s: instances %d per_source %d, want 7 and 3 from the defaults", s.Name, s.MaxChild, s.MaxChildPerIP)
			}
		}
		want := []string{"extra@/etc/extra.conf:1", "B@/etc/xinetd.d/B:1", "a@/etc/xinetd.d/a:1", "b@/etc/xinetd.d/b:1"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("services %q, want %q", got, want)
		}
		wantP := `/etc/xinetd.conf:6: warning: skipping "/etc/xinetd.d/fifo": not a regular file`
		if ps.Error() != wantP {
			t.Errorf("problems:\n%v\nwant:\n%s", ps.Error(), wantP)
		}
	})
	t.Run("cycle", func(t *testing.T) {
		src, _ := fsys.ReadFile("etc/loop/a.conf")
		_, ps := parse(fsys, "/etc/loop/a.conf", src)
		want := "/etc/loop/b.conf:1: include cycle: /etc/loop/a.conf -> /etc/loop/b.conf -> /etc/loop/a.conf"
		if ps.Error() != want {
			t.Errorf("problems:\n%v\nwant:\n%s", ps.Error(), want)
		}
	})
	t.Run("includedir of its own directory", func(t *testing.T) {
		src, _ := fsys.ReadFile("etc/self/xinetd.conf")
		svcs, ps := parse(fsys, "/etc/self/xinetd.conf", src)
		want := "/etc/self/e:1: include cycle: /etc/self/xinetd.conf -> /etc/self/e -> /etc/self/xinetd.conf"
		if ps.Error() != want || len(svcs) != 1 {
			t.Errorf("%d services, problems:\n%v\nwant:\n%s", len(svcs), ps.Error(), want)
		}
	})
	t.Run("absolute include", func(t *testing.T) {
		src, _ := fsys.ReadFile("etc/abs/xinetd.conf")
		svcs, ps := parse(fsys, "/etc/abs/xinetd.conf", src)
		if len(ps) != 0 || len(svcs) != 1 {
			t.Errorf("%d services, problems:\n%v", len(svcs), ps.Error())
		}
	})
}

func TestIsXinetd(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"defaults\n{\n}\n", true},
		{"  # comment\n\tdefaults {\n}\n", true},
		{"service echo\n{\n", true},
		{"service echo {\n", true},
		{"include /etc/foo\n", true},
		{"includedir /etc/xinetd.d\n", true},
		{"echo stream tcp nowait root internal\n", false},
		{"# service echo\n", false},
		{"service stream tcp nowait root /usr/sbin/x x\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsXinetd([]byte(tt.src)); got != tt.want {
			t.Errorf("IsXinetd(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}
