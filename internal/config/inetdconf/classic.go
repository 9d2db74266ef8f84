package inetdconf

import (
	"strings"

	"github.com/ginetd/ginetd/internal/config"
)

// fieldNames names the fields after SERVICE, for "too few fields".
var fieldNames = []string{"socket type", "protocol", "wait/nowait", "user", "program"}

// classic reads the fields after [ADDR:]SERVICE of a positional entry.
// first is SOCKTYPE, already read; the rest are read from s.
func (p *parser) classic(s *source, st *state, line int, host string, hasHost bool, spec word, first word) {
	ws := []word{first}
	for {
		w, ok := s.word()
		if !ok {
			break
		}
		ws = append(ws, w)
	}
	if len(ws) < len(fieldNames) {
		s.errorf(line, "too few fields: missing %s", fieldNames[len(ws)])
		return
	}
	e := newEntry(s, line, config.DialectInetd)
	e.setService(spec.s, spec.line)
	e.setSockType(ws[0].s, ws[0].line, true)
	if e.setProto(ws[1].s, ws[1].line) {
		e.warnf(ws[1].line, "RPC services are not supported")
		return
	}
	e.setWait(ws[2].s, ws[2].line)
	e.setUser(ws[3].s, ws[3].line)
	var args []string
	for _, w := range ws[5:] {
		args = append(args, w.s)
	}
	e.setProgram(ws[4].s, ws[4].line, args)
	if !hasHost {
		host = st.defHost
	}
	p.add(st, e, host)
}

// setWait reads WAIT[.MAX], NetBSD's WAIT[:MAX] and FreeBSD's
// WAIT[/MAXCHILD[/MAXCONNPERIPMIN[/MAXCHILDPERIP]]].
func (e *entry) setWait(v string, line int) {
	kw, rest := v, ""
	sep := byte(0)
	if i := strings.IndexAny(v, ".:/"); i >= 0 {
		kw, rest, sep = v[:i], v[i+1:], v[i]
	}
	switch kw {
	case "wait":
		e.svc.Wait = true
	case "nowait":
	default:
		e.errorf(line, "unknown wait keyword %q", kw)
		return
	}
	switch sep {
	case '.', ':':
		n, ok := count(rest)
		if !ok {
			e.errorf(line, "bad max %q in %q", rest, v)
			return
		}
		e.svc.MaxRate = config.Rate(n)
	case '/':
		parts := strings.Split(rest, "/")
		if len(parts) > 3 {
			e.errorf(line, "too many limits in %q (want WAIT/MAXCHILD/MAXCONNPERIPMIN/MAXCHILDPERIP)", v)
			return
		}
		dst := []*int{&e.svc.MaxChild, &e.svc.MaxConnPerIPMin, &e.svc.MaxChildPerIP}
		for i, part := range parts {
			n, ok := count(part)
			if !ok {
				e.errorf(line, "bad limit %q in %q", part, v)
				return
			}
			*dst[i] = n
		}
	}
}
