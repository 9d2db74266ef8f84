package inetdconf

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ginetd/ginetd/internal/config"
)

// option is one "key = value ..." of a key-value definition.
type option struct {
	key  string
	line int
	vals []string
}

// keyValue reads a NetBSD key-value definition; the cursor is just after
// "on" or "off". An "off" definition is checked for errors and dropped.
func (p *parser) keyValue(s *source, st *state, line int, host string, hasHost bool, spec word, on bool) {
	e := newEntry(s, line, config.DialectNetBSD)
	e.quiet = !on
	e.setService(spec.s, spec.line)
	opts, ok := readOptions(s, line)
	if !ok {
		return
	}
	var (
		seen             = map[string]bool{}
		protoRaw         string
		exec             = "internal"
		execLine         = line
		args             []string
		waitSet, sockSet bool
		rpc, ipsecOff    bool
	)
	for _, o := range opts {
		if seen[o.key] {
			e.errorf(o.line, "option %q is already specified", o.key)
			continue
		}
		seen[o.key] = true
		switch o.key {
		case "bind":
			if v, ok := e.one(o); ok {
				if hasHost {
					e.errorf(o.line, "option \"bind\" conflicts with the address before the service name")
				}
				host, hasHost = normHost(v), true
			}
		case "socktype":
			if v, ok := e.one(o); ok {
				e.setSockType(v, o.line, false)
				sockSet = true
			}
		case "accept_max":
			e.count(o, &e.svc.AcceptMax)
		case "acceptfilter":
			if len(o.vals) < 1 || len(o.vals) > 2 {
				e.errorf(o.line, "option %q takes a filter name and an optional argument", o.key)
			} else {
				e.warnf(o.line, "accept filters are not supported (%q)", o.vals[0])
			}
		case "protocol":
			if v, ok := e.one(o); ok {
				protoRaw = v
				rpc = e.setProto(v, o.line)
			}
		case "sndbuf", "recvbuf":
			if v, ok := e.one(o); ok {
				if !bufSize(v) {
					e.errorf(o.line, "bad buffer size %q for option %q", v, o.key)
				} else {
					e.warnf(o.line, "socket buffer sizes (%s) are not supported", o.key)
				}
			}
		case "wait":
			if v, ok := e.one(o); ok {
				switch v {
				case "yes":
					e.svc.Wait = true
				case "no":
				default:
					e.errorf(o.line, "bad value %q for option \"wait\" (want yes or no)", v)
				}
				waitSet = true
			}
		case "service_max":
			var n int
			if e.count(o, &n) {
				e.svc.MaxRate = config.Rate(n)
			}
		case "ip_max":
			e.count(o, &e.svc.MaxConnPerIPMin)
		case "user":
			if v, ok := e.one(o); ok {
				e.svc.User = v
				if v == "" {
					e.errorf(o.line, "empty user")
				}
			}
		case "group":
			if v, ok := e.one(o); ok {
				e.svc.Group = v
			}
		case "exec":
			if v, ok := e.one(o); ok {
				exec, execLine = v, o.line
			}
		case "args":
			args = o.vals
		case "ipsec":
			switch {
			case len(o.vals) > 1:
				e.errorf(o.line, "option %q takes one value (quote the policy)", o.key)
			case len(o.vals) == 0 || o.vals[0] == "":
				ipsecOff = true
			default:
				e.warnf(o.line, "IPsec policies are not supported")
			}
		default:
			e.errorf(o.line, "unknown option %q", o.key)
		}
	}
	if rpc {
		e.warnf(line, "RPC services are not supported")
		return
	}
	if !hasHost {
		host = st.defHost
	}
	if !seen["protocol"] {
		e.errorf(line, "missing required option %q", "protocol")
	} else if protoRaw == "tcp" || protoRaw == "udp" {
		e.svc.Proto = inferFamily(e.svc.Proto, host)
	}
	if !sockSet {
		switch {
		case strings.HasPrefix(e.svc.Proto, "tcp"):
			e.svc.SockType = config.Stream
		case strings.HasPrefix(e.svc.Proto, "udp"):
			e.svc.SockType = config.Dgram
		case e.svc.Proto != "":
			e.errorf(line, "missing required option %q", "socktype")
		}
	}
	if e.svc.User == "" && !seen["user"] {
		e.errorf(line, "missing required option %q", "user")
	}
	e.setProgram(exec, execLine, args)
	if !waitSet {
		if e.svc.Builtin != "" {
			e.svc.Wait = e.svc.SockType == config.Dgram
		} else if exec != "internal" {
			e.errorf(line, "missing required option %q", "wait")
		}
	}
	ist := *st
	if ipsecOff {
		ist.ipsec = config.Pos{}
	}
	p.add(&ist, e, host)
}

// one returns the single value of o.
func (e *entry) one(o option) (string, bool) {
	if len(o.vals) != 1 {
		e.errorf(o.line, "option %q takes one value, not %d", o.key, len(o.vals))
		return "", false
	}
	return o.vals[0], true
}

// count stores the single count value of o in dst.
func (e *entry) count(o option, dst *int) bool {
	v, ok := e.one(o)
	if !ok {
		return false
	}
	n, ok := count(v)
	if !ok {
		e.errorf(o.line, "bad count %q for option %q", v, o.key)
		return false
	}
	*dst = n
	return true
}

// readOptions reads "key = value ..., key = ...;" up to and including the
// semicolon. On a syntax error it reports it, skips past the next
// semicolon and returns false.
func readOptions(s *source, start int) ([]option, bool) {
	var opts []option
	fail := func(line int, format string, args ...any) ([]option, bool) {
		s.errorf(line, format, args...)
		s.skipPast(';')
		return nil, false
	}
	for {
		if !s.skipSpace() {
			return fail(start, "missing \";\" at the end of the definition")
		}
		r := s.rest()
		switch r[0] {
		case ';':
			s.col++
			return opts, true
		case ',':
			s.col++
			continue
		}
		n := 0
		for n < len(r) && (r[n] == '_' || 'a' <= r[n] && r[n] <= 'z' || 'A' <= r[n] && r[n] <= 'Z') {
			n++
		}
		if n == 0 {
			c, _ := utf8.DecodeRuneInString(r)
			return fail(s.ln+1, "expected an option name, found %q", c)
		}
		o := option{key: r[:n], line: s.ln + 1}
		s.col += n
		if !s.skipSpace() {
			return fail(start, "missing \";\" at the end of the definition")
		}
		if s.rest()[0] != '=' {
			c, _ := utf8.DecodeRuneInString(s.rest())
			return fail(s.ln+1, "expected \"=\" after %q, found %q", o.key, c)
		}
		s.col++
		for {
			if !s.skipSpace() {
				return fail(start, "missing \";\" at the end of the definition")
			}
			r := s.rest()
			if r[0] == ',' || r[0] == ';' {
				if r[0] == ',' {
					s.col++
				}
				break
			}
			v, msg := s.value()
			if msg != "" {
				return fail(s.ln+1, "%s", msg)
			}
			o.vals = append(o.vals, v)
		}
		opts = append(opts, o)
	}
}

// value reads one value of a key-value option: up to a blank, '#', ',',
// ';' or the end of the line, with quoted parts ("..." or '...') that may
// hold those characters and the escapes \\ \n \t \r \' \" \xHH.
func (s *source) value() (string, string) {
	r := s.rest()
	var b strings.Builder
	i := 0
	for i < len(r) {
		c := r[i]
		if isBlank(c) || c == '#' || c == ',' || c == ';' {
			break
		}
		if c != '"' && c != '\'' {
			b.WriteByte(c)
			i++
			continue
		}
		j, msg := unquote(r, i, &b)
		if msg != "" {
			return "", msg
		}
		i = j
	}
	s.col += i
	return b.String(), ""
}

// unquote reads the quoted part of r starting at the quote r[i] into b and
// returns the index after the closing quote, or a message.
func unquote(r string, i int, b *strings.Builder) (int, string) {
	q := r[i]
	for i++; i < len(r); i++ {
		c := r[i]
		if c == q {
			return i + 1, ""
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(r) {
			return 0, "dangling backslash at the end of the line"
		}
		switch r[i] {
		case '\\', '\'', '"':
			b.WriteByte(r[i])
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			if i+2 >= len(r) || unhex(r[i+1]) < 0 || unhex(r[i+2]) < 0 {
				end := min(i+3, len(r))
				return 0, fmt.Sprintf("bad escape sequence %q", `\`+r[i:end])
			}
			b.WriteByte(byte(unhex(r[i+1])<<4 | unhex(r[i+2])))
			i += 2
		default:
			c, _ := utf8.DecodeRuneInString(r[i:])
			return 0, fmt.Sprintf("unknown escape sequence %q", `\`+string(c))
		}
	}
	return 0, fmt.Sprintf("unclosed %c quote", q)
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
