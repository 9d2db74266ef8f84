package xinetdconf

import (
	"net"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/ginetd/ginetd/internal/builtin"
	"github.com/ginetd/ginetd/internal/config"
)

// build turns the entries read into services.
func (p *parser) build() []*config.Service {
	// The defaults apply to every service wherever they appear; the
	// defaults entries of several files add up.
	def := newState(p, &entry{defaults: true, name: "defaults"})
	var defLines []attrLine
	for _, e := range p.entries {
		if !e.defaults {
			continue
		}
		for _, a := range e.attrs {
			if def.apply(a) {
				if spec := attrs[a.name]; spec.list && a.op == opSet {
					a.op = opAdd // '=' adds in the defaults
				}
				defLines = append(defLines, a)
			}
		}
	}

	var out []*config.Service
	for _, e := range p.entries {
		if e.defaults {
			continue
		}
		st := newState(p, e)
		id := first(e, "id")
		if id == "" {
			id = e.name
		}
		st.disabled = strings.EqualFold(first(e, "disable"), "yes") ||
			(def.enabledSet && !contains(def.enabled, id)) ||
			contains(def.disabledL, id)

		st.quiet = true
		for _, a := range defLines {
			st.apply(a)
		}
		st.quiet = false
		for _, a := range e.attrs {
			st.apply(a)
		}
		if st.disabled || st.disable {
			continue
		}
		st.finish()
		if !e.broken && !st.failed && !st.skip {
			out = append(out, st.svc)
		}
	}
	return out
}

// first returns the single value of the first '=' line of attribute name
// in e, or "".
func first(e *entry, name string) string {
	for _, a := range e.attrs {
		if a.name == name {
			if v := dropComment(a.values); a.op == opSet && len(v) == 1 {
				return v[0]
			}
			return ""
		}
	}
	return ""
}

// posOf returns where attribute name was given, or the entry's position.
func (st *state) posOf(name string) config.Pos {
	if pos, ok := st.set[name]; ok {
		return pos
	}
	return st.svc.Pos
}

// xinetdSpecials are xinetd's own internal services that ginetd lacks.
var xinetdSpecials = []string{"servers", "services", "xadmin"}

// builtinFor finds the built-in an INTERNAL service names: its name, as
// xinetd looks it up, or else its name or id without a "-stream",
// "-dgram", "-tcp" or "-udp" suffix (xinetd's contrib files use ids such
// as "daytime-stream").
func builtinFor(name, id, sock string) string {
	strip := func(s string) string {
		for _, suf := range []string{"-stream", "-dgram", "-tcp", "-udp"} {
			if t, ok := strings.CutSuffix(s, suf); ok {
				return t
			}
		}
		return s
	}
	for _, c := range []string{name, strip(name), id, strip(id)} {
		if builtin.Lookup(c, sock == config.Stream) != nil {
			return c
		}
	}
	return ""
}

// finish checks the service as a whole and fills the fields that depend on
// several attributes.
func (st *state) finish() {
	s := st.svc
	where := st.where
	if s.ID == "" {
		s.ID = s.Name
	}
	if st.types["RPC"] {
		st.skipf(st.posOf("type"), "RPC services are not supported (%s)", where)
		return
	}
	if st.types["SPECIAL"] {
		st.skipf(st.posOf("type"), "type SPECIAL is not supported (%s)", where)
		return
	}

	// Socket type and protocol: either gives the other.
	sock, proto := st.socketType, st.protocol
	switch {
	case sock == "" && proto == "tcp":
		sock = config.Stream
	case sock == "" && proto == "udp":
		sock = config.Dgram
	case proto == "" && sock == config.Stream:
		proto = "tcp"
	case proto == "" && sock == config.Dgram:
		proto = "udp"
	}
	var missing []string
	if sock == "" {
		missing = append(missing, "socket_type")
	}
	if _, ok := st.set["wait"]; !ok {
		missing = append(missing, "wait")
	}

	sensor := st.flags["SENSOR"]
	internal := st.types["INTERNAL"] || sensor
	mux := st.types["TCPMUX"] || st.types["TCPMUXPLUS"]
	redirect := st.redirect[0] != ""
	if !internal {
		if _, ok := st.set["user"]; !ok {
			missing = append(missing, "user")
		}
		if _, ok := st.set["server"]; !ok && !redirect {
			missing = append(missing, "server")
		}
	}
	if st.types["UNLISTED"] && !mux {
		if _, ok := st.set["port"]; !ok {
			missing = append(missing, "port")
		}
	}
	for _, m := range missing {
		st.errorf(s.Pos, "missing attribute %q in %s", m, where)
	}
	if sock == "" {
		return
	}
	if sock == "raw" || sock == "seqpacket" {
		st.skipf(st.posOf("socket_type"), "socket_type %s is not supported (%s)", sock, where)
		return
	}
	if proto != "tcp" && proto != "udp" {
		st.skipf(st.posOf("protocol"), "protocol %s is not supported (%s)", proto, where)
		return
	}
	if (sock == config.Stream) != (proto == "tcp") {
		st.errorf(st.posOf("protocol"), "socket_type %s does not go with protocol %s in %s", sock, proto, where)
		return
	}
	s.SockType = sock
	if sensor && sock == config.Dgram {
		// A datagram's source address is whatever its sender wrote:
		// anyone could lock any address out of every service.
		st.errorf(st.posOf("flags"), "flag SENSOR needs socket_type stream in %s: a datagram's source address can be forged", where)
		return
	}

	// Flags.
	s.Reuse = st.flags["REUSE"]
	s.NoDelay = st.flags["NODELAY"]
	s.KeepAlive = st.flags["KEEPALIVE"]
	s.NoLibwrap = st.flags["NOLIBWRAP"]
	if st.flags["INTERCEPT"] {
		st.warnf(st.posOf("flags"), "flag INTERCEPT is not implemented; ignored in %s", where)
	}
	if st.flags["IDONLY"] {
		st.skipf(st.posOf("flags"), "flag IDONLY is not implemented (%s)", where)
	}
	if st.flags["LABELED"] {
		st.skipf(st.posOf("flags"), "flag LABELED is not implemented (%s)", where)
	}
	nameInArgs := st.flags["NAMEINARGS"]

	// What runs.
	switch {
	case sensor:
		s.Sensor = true
		s.Builtin = "discard"
	case internal:
		s.Builtin = builtinFor(s.Name, s.ID, sock)
		if s.Builtin == "" {
			if contains(xinetdSpecials, s.Name) {
				st.skipf(st.posOf("type"), "xinetd's internal service %q is not supported", s.Name)
			} else {
				st.errorf(st.posOf("type"), "no such internal service: %s/%s", s.Name, sock)
			}
		}
	}
	if internal && nameInArgs {
		st.errorf(st.posOf("flags"), "%s is INTERNAL and has flag NAMEINARGS", where)
	}
	if redirect {
		switch {
		case sock != config.Stream:
			st.errorf(st.posOf("redirect"), "redirect needs socket_type stream in %s", where)
		case s.Wait:
			st.errorf(st.posOf("redirect"), "redirect needs wait = no in %s", where)
		case nameInArgs:
			st.errorf(st.posOf("redirect"), "redirect cannot be used with flag NAMEINARGS in %s", where)
		}
		s.Redirect = net.JoinHostPort(st.redirect[0], st.redirect[1])
		s.Program = ""
	} else if !internal && s.Program != "" {
		if nameInArgs {
			if len(st.serverArgs) == 0 {
				st.errorf(st.posOf("flags"), "flag NAMEINARGS needs server_args in %s", where)
			}
			s.Args = append([]string(nil), st.serverArgs...)
		} else {
			s.Args = append([]string{filepath.Base(s.Program)}, st.serverArgs...)
		}
	}
	// log_on_success TRAFFIC counts bytes of a redirect; as in xinetd,
	// other services have nothing to count and ignore it.

	// tcpmux sub-services.
	if mux {
		if !st.types["UNLISTED"] {
			st.errorf(st.posOf("type"), "tcpmux service %s needs type UNLISTED too", s.Name)
		}
		if proto != "tcp" {
			st.errorf(st.posOf("protocol"), "tcpmux service %s needs protocol tcp", s.Name)
		}
		s.TCPMux = true
		s.TCPMuxPlus = st.types["TCPMUXPLUS"]
	} else if _, ok := st.set["port"]; !ok {
		s.PortName = s.Name
	}

	st.family(proto)
	s.V6Only = st.v6only
	s.NoGroups = st.groups == nil || !*st.groups

	// ginetd's own attributes.
	if (s.TLSCert == "") != (s.TLSKey == "") {
		pos := st.posOf("tls_cert")
		if s.TLSCert == "" {
			pos = st.posOf("tls_key")
		}
		st.errorf(pos, "tls_cert and tls_key go together in %s", where)
	}
	if s.TLSClientCA != "" && s.TLSCert == "" {
		st.errorf(st.posOf("tls_client_ca"), "tls_client_ca needs tls_cert in %s", where)
	}
	if s.TLSCert != "" && (sock != config.Stream || s.Wait) {
		st.errorf(st.posOf("tls_cert"), "TLS needs socket_type stream and wait = no in %s", where)
	}
	if s.ProxyProtocol && (sock != config.Stream || s.Wait) {
		st.errorf(st.posOf("proxy_protocol"), "proxy_protocol needs socket_type stream and wait = no in %s", where)
	}
	if s.TCPMux && (s.TLSCert != "" || s.ProxyProtocol) {
		// The tcpmux service accepts the connection and reads the name:
		// its front door is the one that applies.
		pos := st.posOf("proxy_protocol")
		if s.TLSCert != "" {
			pos = st.posOf("tls_cert")
		}
		st.errorf(pos, "TLS and proxy_protocol go on the tcpmux service, not on tcpmux service %s", s.Name)
	}
	if s.ProxyProtocol && len(s.ProxyTrusted) == 0 {
		st.errorf(st.posOf("proxy_protocol"), "proxy_protocol needs proxy_trusted in %s", where)
	}
}

// family picks Proto from the flags IPv4 and IPv6, the bind address and
// v6only. Without flags the family is that of an IP literal in bind, else
// IPv4, as in xinetd 2.3.15 (xinetd 2.3.15.4 tries IPv6 first).
func (st *state) family(proto string) {
	s := st.svc
	addr, err := netip.ParseAddr(s.Host)
	lit4 := err == nil && addr.Is4()
	lit6 := err == nil && addr.Is6()
	v4, v6 := st.flags["IPv4"], st.flags["IPv6"]
	six := false
	switch {
	case v4 && v6:
		six = !lit4
	case v6:
		six = true
		if lit4 {
			st.errorf(st.posOf("bind"), "bind address %s is IPv4 but flags has IPv6 in %s", s.Host, st.where)
		}
	case v4:
		if lit6 && !addr.Is4In6() {
			st.errorf(st.posOf("bind"), "bind address %s is IPv6 but flags has IPv4 in %s", s.Host, st.where)
		}
	default:
		six = lit6
	}
	switch {
	case !six && proto == "tcp":
		s.Proto = config.TCP4
	case !six:
		s.Proto = config.UDP4
	case st.v6only != nil && *st.v6only && proto == "tcp":
		s.Proto = config.TCP6
	case st.v6only != nil && *st.v6only:
		s.Proto = config.UDP6
	case proto == "tcp":
		s.Proto = config.TCP46
	default:
		s.Proto = config.UDP46
	}
}
