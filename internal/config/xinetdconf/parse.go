package xinetdconf

import (
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/config/confread"
)

// Parse reads the xinetd.conf text src, named name, and returns the
// services it defines that should run, in file order, with every problem
// found. Files named by include and includedir are read from disk,
// relative to filepath.Dir(name) when not absolute.
//
// Services that are disabled (disable = yes, the defaults' enabled and
// disabled lists) are left out silently. A service with an error is left
// out too, but an error makes the whole configuration unusable anyway; a
// service with a warning that says it is skipped is left out and the
// others run.
func Parse(name string, src []byte) ([]*config.Service, config.Problems) {
	return parse(nil, name, src)
}

// ParseFile reads the file at path and parses it as Parse does.
func ParseFile(path string) ([]*config.Service, config.Problems) {
	var ps config.Problems
	src, err := confread.NewReader(nil, &ps).ReadFile(path)
	if err != nil {
		ps.Errorf(config.Pos{File: path}, "cannot read: %s", confread.ErrText(err))
		return nil, ps
	}
	svcs, more := Parse(path, src)
	ps.Add(more)
	return svcs, ps
}

// entry is one "defaults" or "service NAME" block.
type entry struct {
	defaults bool
	name     string
	pos      config.Pos
	attrs    []attrLine
	broken   bool // its form is wrong (braces, operators): it does not run
}

type parser struct {
	files   *confread.Reader // reads included files
	probs   config.Problems
	entries []*entry
}

// parse is Parse with included files read from fsys (nil: the operating
// system's files).
func parse(fsys fs.FS, name string, src []byte) ([]*config.Service, config.Problems) {
	p := &parser{}
	p.files = confread.NewReader(fsys, &p.probs)
	p.files.Parse(name, src, p.file)
	svcs := p.build()
	return svcs, p.probs
}

// file reads one file's text.
func (p *parser) file(name string, src []byte) {
	lines := lex(name, src)
	sawDefaults := config.Pos{}
	for i := 0; i < len(lines); {
		l := lines[i]
		w := l.words
		switch w[0] {
		case "include", "includedir":
			if len(w) != 2 {
				p.probs.Errorf(l.pos, "%s needs exactly one file name", w[0])
			} else if w[0] == "include" {
				p.files.Include(l.pos, resolve(name, w[1]), p.file)
			} else {
				p.files.IncludeDir(l.pos, resolve(name, w[1]), includable, p.file)
			}
			i++
		case "service", "defaults":
			e, next := p.entry(lines, i)
			i = next
			if e == nil {
				continue
			}
			if e.defaults {
				if sawDefaults.Line > 0 {
					p.probs.Errorf(e.pos, "only one defaults entry is allowed in a file (the first is at line %d)", sawDefaults.Line)
					continue
				}
				sawDefaults = e.pos
			}
			p.entries = append(p.entries, e)
		default:
			if l.text == "{" || l.text == "}" {
				p.probs.Errorf(l.pos, "unexpected %q", l.text)
			} else {
				p.probs.Errorf(l.pos, "unexpected %q: want service, defaults, include or includedir", w[0])
			}
			i++
			// A block after a bad head line belongs to it: skip it
			// rather than report each of its lines.
			if l.text != "}" && i < len(lines) && lines[i].text == "{" {
				i = skipBlock(lines, i+1)
			}
		}
	}
}

// skipBlock returns the index after the line holding only "}" from i on.
func skipBlock(lines []line, i int) int {
	for ; i < len(lines); i++ {
		if lines[i].text == "}" {
			return i + 1
		}
	}
	return i
}

// isHead reports whether l looks like the start of a new entry or an
// include, rather than an attribute.
func isHead(l line) bool {
	switch l.words[0] {
	case "service", "include", "includedir":
		return len(l.words) >= 2 && l.words[1] != "=" && l.words[1] != "+=" && l.words[1] != "-=" && !strings.HasPrefix(l.words[1], "=")
	case "defaults":
		return len(l.words) == 1 || l.words[1] == "{"
	}
	return false
}

// entry reads the block whose head is lines[i]. It returns the entry (nil
// when the head is unusable) and the index of the line after it.
func (p *parser) entry(lines []line, i int) (*entry, int) {
	head := lines[i]
	w := head.words
	e := &entry{pos: head.pos}
	if w[0] == "defaults" {
		e.defaults = true
		e.name = "defaults"
		w = w[1:]
	} else {
		if len(w) < 2 || w[1] == "{" {
			p.probs.Errorf(head.pos, "service name missing")
			if len(w) >= 2 {
				return nil, skipBlock(lines, i+1)
			}
			if i+1 < len(lines) && lines[i+1].text == "{" {
				return nil, skipBlock(lines, i+2)
			}
			return nil, i + 1
		}
		e.name = w[1]
		w = w[2:]
	}
	i++
	switch {
	case len(w) == 1 && w[0] == "{":
		// "service NAME {": a ginetd extension; xinetd wants the brace
		// on the next line.
	case len(w) > 0:
		p.probs.Errorf(head.pos, "unexpected %q after %s", w[0], what(e))
		if i < len(lines) && lines[i].text == "{" {
			i++
		}
		return nil, skipBlock(lines, i)
	case i < len(lines) && lines[i].text == "{":
		i++
	default:
		p.probs.Errorf(head.pos, "missing \"{\" after %s", what(e))
		if i < len(lines) && !isHead(lines[i]) {
			return nil, skipBlock(lines, i)
		}
		return nil, i
	}
	for ; i < len(lines); i++ {
		l := lines[i]
		if l.text == "}" {
			return e, i + 1
		}
		if l.text == "{" {
			p.probs.Errorf(l.pos, "unexpected \"{\" in %s", what(e))
			e.broken = true
			continue
		}
		if isHead(l) {
			p.probs.Errorf(l.pos, "missing \"}\" before %q (%s starts at line %d)", l.words[0], what(e), e.pos.Line)
			e.broken = true
			return e, i
		}
		a, ok := splitAttr(l)
		if !ok {
			p.probs.Errorf(l.pos, "missing operator (=, += or -=) after %q in %s", l.words[0], what(e))
			e.broken = true
			continue
		}
		if n := len(a.values); n > 0 && a.values[n-1] == "}" && a.name != "limit_message" && a.name != "server_args" {
			p.probs.Errorf(l.pos, "\"}\" must be on a line of its own in %s", what(e))
			e.broken = true
			a.values = a.values[:n-1]
			e.attrs = append(e.attrs, a)
			return e, i + 1
		}
		e.attrs = append(e.attrs, a)
	}
	p.probs.Errorf(e.pos, "missing \"}\" at end of %s", what(e))
	e.broken = true
	return e, i
}

func what(e *entry) string {
	if e.defaults {
		return "defaults"
	}
	return "service " + e.name
}

// resolve names a file given in from relative to from's directory.
func resolve(from, name string) string {
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	return filepath.Join(filepath.Dir(from), name)
}

// includable reports whether includedir reads the file called name: one
// whose name has no '.' and does not end in '~', as in xinetd.
func includable(name string) bool {
	return name != "" && !strings.Contains(name, ".") && !strings.HasSuffix(name, "~")
}
