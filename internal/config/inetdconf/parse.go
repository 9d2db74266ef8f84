package inetdconf

import (
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/config/confread"
)

// Parse reads inetd.conf text: positional lines of every BSD and Linux
// inetd, and NetBSD's key-value definitions, mixed freely. name is the
// file's name, used in positions and to resolve relative .include paths
// (against filepath.Dir(name)); included files are read from the file
// system. Parse reports every problem it finds, not just the first; a
// service with a problem is left out of the result.
func Parse(name string, src []byte) ([]*config.Service, config.Problems) {
	return parse(nil, name, src)
}

// parse is Parse with included files read from fsys (nil: the operating
// system's files).
func parse(fsys fs.FS, name string, src []byte) ([]*config.Service, config.Problems) {
	p := &parser{}
	p.files = confread.NewReader(fsys, &p.probs)
	p.files.Parse(name, src, func(name string, src []byte) { p.file(name, src, state{}) })
	return p.services, p.probs
}

// ParseFile reads the file at path and parses it as Parse does.
func ParseFile(path string) ([]*config.Service, config.Problems) {
	var ps config.Problems
	b, err := confread.NewReader(nil, &ps).ReadFile(path)
	if err != nil {
		ps.Errorf(config.Pos{File: path}, "cannot read: %s", confread.ErrText(err))
		return nil, ps
	}
	svcs, more := Parse(path, b)
	ps.Add(more)
	return svcs, ps
}

// IsNetBSD reports whether src uses NetBSD's 2021 extensions: a key-value
// definition ("SERVICE on|off key = value, ...;") or an .include directive.
// Positional lines parse the same way whatever it returns.
func IsNetBSD(src []byte) bool {
	p := &parser{}
	p.files = confread.NewReader(noFS{}, &p.probs)
	p.files.Parse("", src, func(name string, src []byte) { p.file(name, src, state{}) })
	return p.sawNetBSD
}

// noFS has no files: every include fails to read.
type noFS struct{}

func (noFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// state is what one file passes to the files it includes (NetBSD: the
// default listen address and the IPsec policy). An included file starts
// with a copy; its changes do not come back to the includer.
type state struct {
	defHost string     // from an "ADDR:" line; "" = any
	ipsec   config.Pos // where a "#@ policy" line set an IPsec policy; zero = none
}

type parser struct {
	files     *confread.Reader // reads included files
	services  []*config.Service
	probs     config.Problems
	sawNetBSD bool
}

// file parses one file's text.
func (p *parser) file(name string, src []byte, st state) {
	s := newSource(name, src, &p.probs)
	for !s.eof() {
		r := s.rest()
		t := strings.TrimLeft(r, " \t")
		if t == "" {
			s.nextLine()
			continue
		}
		if t[0] == '#' {
			if s.col == 0 && strings.HasPrefix(r, "#@") {
				st.ipsec = config.Pos{}
				if strings.TrimSpace(r[2:]) != "" {
					st.ipsec = s.pos()
				}
			}
			s.nextLine()
			continue
		}
		s.col += len(r) - len(t)
		p.entry(s, &st)
	}
}

// entry reads one definition, directive or "ADDR:" line starting at the
// cursor.
func (p *parser) entry(s *source, st *state) {
	first, _ := s.word()
	line := first.line
	if strings.HasPrefix(first.s, ".") {
		p.directive(s, st, first)
		return
	}
	host, spec, hasHost := splitAddr(first.s)
	sw := word{spec, line}
	next, ok := s.word()
	if hasHost && spec == "" {
		if !ok {
			// "ADDR:" alone sets the default address for later lines.
			st.defHost = host
			return
		}
		// "ADDR: SERVICE ..." (the BSDs read the next word as SERVICE).
		sw = next
		next, ok = s.word()
	}
	if !ok {
		s.errorf(line, "too few fields: missing %s", fieldNames[0])
		return
	}
	if on, off := next.s == "on" || strings.HasPrefix(next.s, "on#"),
		next.s == "off" || strings.HasPrefix(next.s, "off#"); on || off {
		p.sawNetBSD = true
		if strings.Contains(next.s, "#") {
			s.nextLine() // the rest of the line is a comment
		}
		p.keyValue(s, st, line, host, hasHost, sw, on)
		return
	}
	p.classic(s, st, line, host, hasHost, sw, next)
}

// add keeps a finished entry, unless a problem dropped it.
func (p *parser) add(st *state, e *entry, host string) {
	svc := e.finish(host, e.svc.Pos.Line)
	if svc == nil {
		return
	}
	if st.ipsec.Line > 0 {
		if !e.quiet {
			e.s.warnf(svc.Pos.Line, "IPsec policies are not supported (policy set at %s)", st.ipsec)
		}
		return
	}
	if e.quiet {
		return
	}
	p.services = append(p.services, svc)
}

// directive reads ".include PATH" (NetBSD). Anything after PATH is ignored,
// as NetBSD does. A PATH with glob metacharacters includes every file it
// matches, in sorted order; one that matches nothing is fine (NetBSD).
func (p *parser) directive(s *source, st *state, first word) {
	defer s.skipEntry()
	if first.s != ".include" {
		s.errorf(first.line, "unknown directive %q", first.s)
		return
	}
	p.sawNetBSD = true
	arg, ok := s.word()
	if !ok || arg.s == "" {
		s.errorf(first.line, "missing path after .include")
		return
	}
	pattern := arg.s
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(s.file), pattern)
	}
	pos := config.Pos{File: s.file, Line: first.line}
	inc := *st // an included file starts with a copy of the state
	parse := func(name string, src []byte) { p.file(name, src, inc) }
	if hasMeta(pattern) {
		p.files.IncludeGlob(pos, pattern, parse)
	} else {
		p.files.Include(pos, pattern, parse)
	}
}

func hasMeta(path string) bool { return strings.ContainsAny(path, `*?[\`) }
