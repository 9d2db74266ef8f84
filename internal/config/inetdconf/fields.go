package inetdconf

import (
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/ginetd/ginetd/internal/builtin"
	"github.com/ginetd/ginetd/internal/config"
)

// entry is one service definition being read, in either notation. An
// error drops the entry (and makes the file unusable); a warning only
// drops the entry.
type entry struct {
	s     *source
	svc   *config.Service
	bad   bool // an error was reported
	skip  bool // a warning was reported
	quiet bool // an "off" definition: checked for errors, warnings dropped
}

func newEntry(s *source, line int, dialect string) *entry {
	return &entry{s: s, svc: &config.Service{
		Pos:        s.at(line),
		Dialect:    dialect,
		InheritEnv: true,
		Umask:      -1,
	}}
}

func (e *entry) errorf(line int, format string, args ...any) {
	e.s.errorf(line, format, args...)
	e.bad = true
}

func (e *entry) warnf(line int, format string, args ...any) {
	// One message per entry: a warning after an error would be noise.
	if !e.quiet && !e.skip && !e.bad {
		e.s.warnf(line, format, args...)
	}
	e.skip = true
}

// splitAddr splits "[ADDR:]SERVICE" at its last colon. ok reports whether
// there was an ADDR part; "[v6]" loses its brackets and "*" becomes "".
func splitAddr(w string) (host, service string, ok bool) {
	i := strings.LastIndexByte(w, ':')
	if i < 0 {
		return "", w, false
	}
	return normHost(w[:i]), w[i+1:], true
}

func normHost(h string) string {
	if len(h) >= 2 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	if h == "*" {
		return ""
	}
	return h
}

// setService fills the naming fields from SERVICE as written.
func (e *entry) setService(spec string, line int) {
	svc := e.svc
	svc.Name = spec
	svc.PortName = spec
	if rest, ok := strings.CutPrefix(spec, "tcpmux/"); ok {
		svc.TCPMux = true
		if r, plus := strings.CutPrefix(rest, "+"); plus {
			svc.TCPMuxPlus = true
			rest = r
		}
		svc.Name = rest
		// A sub-service is reached through the tcpmux port.
		svc.PortName = "tcpmux"
		if rest == "" {
			e.errorf(line, "missing service name after %q", spec)
		}
	}
	if spec == "" {
		e.errorf(line, "missing service name")
	}
}

// setSockType reads SOCKTYPE. NetBSD's ",N" (accept-max) and ":FILTER"
// (accept filter) suffixes are only read when suffixes is set (positional
// notation).
func (e *entry) setSockType(v string, line int, suffixes bool) {
	base := v
	if suffixes {
		var filter string
		var hasFilter, hasMax bool
		var max string
		base, filter, hasFilter = strings.Cut(base, ":")
		base, max, hasMax = strings.Cut(base, ",")
		if hasMax {
			if base != config.Stream {
				e.errorf(line, "accept-max %q needs socket type stream", v)
			} else if n, ok := count(max); !ok {
				e.errorf(line, "bad accept-max %q in %q", max, v)
			} else {
				e.svc.AcceptMax = n
			}
		}
		if hasFilter {
			if filter == "" {
				e.errorf(line, "missing accept filter in %q", v)
			} else {
				e.warnf(line, "accept filters are not supported (%q)", v)
			}
		}
	}
	switch base {
	case config.Stream, config.Dgram:
		e.svc.SockType = base
	case "raw", "rdm", "seqpacket":
		e.errorf(line, "unsupported socket type %q", base)
	default:
		e.errorf(line, "unknown socket type %q", base)
	}
}

var protocols = map[string]string{
	"tcp": config.TCP4, "tcp4": config.TCP4, "tcp6": config.TCP6, "tcp46": config.TCP46,
	"udp": config.UDP4, "udp4": config.UDP4, "udp6": config.UDP6, "udp46": config.UDP46,
	"unix": config.Unix,
}

// setProto reads PROTO. It reports whether the entry is an RPC service,
// which the caller skips with a warning.
func (e *entry) setProto(v string, line int) (rpc bool) {
	if strings.HasPrefix(v, "rpc/") {
		return true
	}
	p := v
	if r, ok := strings.CutPrefix(p, "faith/"); ok { // NetBSD
		e.warnf(line, "faith(4) services are not supported (%q)", v)
		p = r
	} else if r, ok := strings.CutSuffix(p, "/faith"); ok { // old FreeBSD
		e.warnf(line, "faith(4) services are not supported (%q)", v)
		p = r
	}
	if n, ok := protocols[p]; ok {
		e.svc.Proto = n
		return false
	}
	e.errorf(line, "unknown protocol %q", v)
	return false
}

// count parses a non-negative decimal count.
func count(s string) (int, bool) {
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 31)
	return int(n), err == nil
}

// bufSize checks a NetBSD socket buffer size: N, Nk or Nm.
func bufSize(s string) bool {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "k"), "m")
	n, ok := count(s)
	return ok && n > 0
}

// setUser reads USER[:GROUP], USER.GROUP and FreeBSD's USER[:GROUP]/CLASS
// (the login class is ignored).
func (e *entry) setUser(v string, line int) {
	u, _, _ := strings.Cut(v, "/")
	user, group, ok := strings.Cut(u, ":")
	if !ok {
		user, group, ok = strings.Cut(u, ".")
	}
	if user == "" {
		e.errorf(line, "missing user in %q", v)
	}
	if ok && group == "" {
		e.errorf(line, "missing group in %q", v)
	}
	e.svc.User, e.svc.Group = user, group
}

// setProgram reads PROGRAM and its ARGS (starting with argv[0]).
func (e *entry) setProgram(prog string, line int, args []string) {
	svc := e.svc
	if prog == "internal" {
		// SERVICE names the built-in; when it does not (a port number, or
		// a name of the admin's own), the word after "internal" does.
		name := svc.Name
		if !builtin.Known(name) && len(args) > 0 {
			name = args[0]
		}
		if !builtin.Known(name) {
			e.warnf(line, "unknown built-in service %q", name)
			return
		}
		svc.Builtin = name
		return
	}
	if !path.IsAbs(prog) {
		e.errorf(line, "program %q is not an absolute path", prog)
		return
	}
	svc.Program = prog
	if len(args) == 0 {
		args = []string{path.Base(prog)}
	}
	svc.Args = args
}

// finish applies the checks that need several fields and returns the
// service, or nil when the entry is dropped.
func (e *entry) finish(host string, line int) *config.Service {
	svc := e.svc
	switch svc.Proto {
	case config.TCP4, config.TCP6, config.TCP46:
		if svc.SockType == config.Dgram {
			e.errorf(line, "socket type %q does not match protocol %q", svc.SockType, svc.Proto)
		}
	case config.UDP4, config.UDP6, config.UDP46:
		if svc.SockType == config.Stream {
			e.errorf(line, "socket type %q does not match protocol %q", svc.SockType, svc.Proto)
		}
	case config.Unix:
		svc.Path, svc.PortName, host = svc.Name, "", ""
		if svc.TCPMux {
			break
		}
		if !path.IsAbs(svc.Path) {
			e.errorf(line, "unix socket path %q is not absolute", svc.Path)
		}
	}
	if svc.TCPMux {
		if svc.SockType != config.Stream || !strings.HasPrefix(svc.Proto, "tcp") {
			e.errorf(line, "tcpmux service %q needs stream and tcp", svc.Name)
		}
		// tcpmux sub-services have no socket of their own (NetBSD, FreeBSD).
		svc.Wait = false
	}
	svc.Host = host
	if e.bad || e.skip {
		return nil
	}
	return svc
}

// inferFamily applies NetBSD's key-value rule: plain "tcp"/"udp" take the
// family of the bind address when it is an IPv6 literal.
func inferFamily(proto, host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is6() || a.Is4In6() {
		return proto
	}
	switch proto {
	case config.TCP4:
		return config.TCP6
	case config.UDP4:
		return config.UDP6
	}
	return proto
}
