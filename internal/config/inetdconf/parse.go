package inetdconf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/config/confread"
)

// maxIncludeDepth bounds .include nesting even where cycle detection
// cannot see a cycle (files that change while being read).
const maxIncludeDepth = 32

// Parse reads inetd.conf text: positional lines of every BSD and Linux
// inetd, and NetBSD's key-value definitions, mixed freely. name is the
// file's name, used in positions and to resolve relative .include paths
// (against filepath.Dir(name)); included files are read from the file
// system. Parse reports every problem it finds, not just the first; a
// service with a problem is left out of the result.
func Parse(name string, src []byte) ([]*config.Service, config.Problems) {
	return parse(osFS{}, name, src)
}

func parse(fsys fileSystem, name string, src []byte) ([]*config.Service, config.Problems) {
	p := &parser{fsys: fsys}
	p.file(name, src, state{}, nil)
	return p.services, p.probs
}

// ParseFile reads the file at path and parses it as Parse does.
func ParseFile(path string) ([]*config.Service, config.Problems) {
	b, err := os.ReadFile(path)
	if err != nil {
		var ps config.Problems
		ps.Errorf(config.Pos{File: path}, "cannot read file: %s", errText(err))
		return nil, ps
	}
	return Parse(path, b)
}

// IsNetBSD reports whether src uses NetBSD's 2021 extensions: a key-value
// definition ("SERVICE on|off key = value, ...;") or an .include directive.
// Positional lines parse the same way whatever it returns.
func IsNetBSD(src []byte) bool {
	p := &parser{fsys: noFS{}}
	p.file("", src, state{}, nil)
	return p.sawNetBSD
}

// fileSystem is what .include needs from the operating system.
type fileSystem interface {
	ReadFile(name string) ([]byte, error)
	Glob(pattern string) ([]string, error)
	IsDir(name string) bool
	// ID names a file for cycle detection: its real, absolute path.
	ID(name string) string
}

type osFS struct{}

func (osFS) ReadFile(name string) ([]byte, error) {
	return confread.ReadFile(name, confread.MaxConfig)
}
func (osFS) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }
func (osFS) IsDir(name string) bool {
	fi, err := os.Stat(name)
	return err == nil && fi.IsDir()
}
func (osFS) ID(name string) string { return confread.ID(name) }

// noFS has no files: every include fails to read.
type noFS struct{}

func (noFS) ReadFile(name string) ([]byte, error)  { return nil, fs.ErrNotExist }
func (noFS) Glob(pattern string) ([]string, error) { return nil, nil }
func (noFS) IsDir(name string) bool                { return false }
func (noFS) ID(name string) string                 { return filepath.Clean(name) }

// state is what one file passes to the files it includes (NetBSD: the
// default listen address and the IPsec policy). An included file starts
// with a copy; its changes do not come back to the includer.
type state struct {
	defHost string     // from an "ADDR:" line; "" = any
	ipsec   config.Pos // where a "#@ policy" line set an IPsec policy; zero = none
}

type parser struct {
	fsys      fileSystem
	services  []*config.Service
	probs     config.Problems
	sawNetBSD bool
}

// chainLink is one file in the chain of .include directives being read.
type chainLink struct{ id, name string }

// file parses one file's text.
func (p *parser) file(name string, src []byte, st state, chain []chainLink) {
	chain = append(chain, chainLink{p.fsys.ID(name), name})
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
		p.entry(s, &st, chain)
	}
}

// entry reads one definition, directive or "ADDR:" line starting at the
// cursor.
func (p *parser) entry(s *source, st *state, chain []chainLink) {
	first, _ := s.word()
	line := first.line
	if strings.HasPrefix(first.s, ".") {
		p.directive(s, st, first, chain)
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
// as NetBSD does.
func (p *parser) directive(s *source, st *state, first word, chain []chainLink) {
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
	if len(chain) >= maxIncludeDepth {
		s.errorf(first.line, ".include nested more than %d deep", maxIncludeDepth)
		return
	}
	var names []string
	if !hasMeta(pattern) {
		names = []string{pattern}
	} else {
		m, err := p.fsys.Glob(pattern)
		if err != nil {
			s.errorf(first.line, "bad .include pattern %q: %s", arg.s, errText(err))
			return
		}
		// A pattern matching nothing is fine (NetBSD). Matches are read in
		// sorted order so that problems come out the same every time.
		names = m
	}
	for _, name := range names {
		if p.fsys.IsDir(name) {
			if hasMeta(pattern) {
				s.warnf(first.line, ".include: skipping %q: not a regular file", name)
			} else {
				s.errorf(first.line, "cannot include %q: is a directory (use %q)", name, filepath.Join(arg.s, "*"))
			}
			continue
		}
		id := p.fsys.ID(name)
		for i, c := range chain {
			if c.id == id {
				var names []string
				for _, c := range chain[i:] {
					names = append(names, c.name)
				}
				names = append(names, name)
				s.errorf(first.line, "include cycle: %s", strings.Join(names, " -> "))
				id = ""
				break
			}
		}
		if id == "" {
			continue
		}
		b, err := p.fsys.ReadFile(name)
		if err != nil {
			s.errorf(first.line, "cannot read %q: %s", name, errText(err))
			continue
		}
		p.file(name, b, *st, chain)
	}
}

func hasMeta(path string) bool { return strings.ContainsAny(path, `*?[\`) }

// errText is an error's text without the path a *fs.PathError repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
