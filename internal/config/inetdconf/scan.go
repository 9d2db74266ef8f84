package inetdconf

import (
	"strings"

	"github.com/ginetd/ginetd/internal/config"
)

// source is a cursor over the lines of one file. Both notations read from
// it: positional entries word by word (word), key-value definitions token by
// token (skipSpace and friends), so that one line may hold a key-value
// definition followed by another definition, as NetBSD allows.
type source struct {
	file  string
	lines []string
	ln    int // index of the current line
	col   int // byte offset in lines[ln]
	probs *config.Problems
}

func newSource(file string, b []byte, probs *config.Problems) *source {
	lines := strings.Split(string(b), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return &source{file: file, lines: lines, probs: probs}
}

func (s *source) eof() bool              { return s.ln >= len(s.lines) }
func (s *source) rest() string           { return s.lines[s.ln][s.col:] }
func (s *source) nextLine()              { s.ln++; s.col = 0 }
func (s *source) at(line int) config.Pos { return config.Pos{File: s.file, Line: line} }
func (s *source) pos() config.Pos        { return s.at(s.ln + 1) }

func (s *source) errorf(line int, format string, args ...any) {
	s.probs.Errorf(s.at(line), format, args...)
}

func (s *source) warnf(line int, format string, args ...any) {
	s.probs.Warnf(s.at(line), format, args...)
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// word is one positional field with the line it was read on.
type word struct {
	s    string
	line int
}

// isContinuation reports whether line i continues a positional entry: it
// starts with a blank and holds something. Blank-only and indented comment
// lines are skipped by word without ending the entry; an empty line ends it.
func (s *source) isContinuation(i int) (cont, skip bool) {
	if i >= len(s.lines) {
		return false, false
	}
	l := s.lines[i]
	if l == "" || !isBlank(l[0]) {
		return false, false
	}
	t := strings.TrimLeft(l, " \t")
	if t == "" || t[0] == '#' {
		return false, true
	}
	return true, false
}

// word reads the next field of a positional entry. At the end of a line it
// goes on to the next line when that line starts with a space or a tab (BSD
// continuation). Single and double quotes group blanks into one field and
// are removed (NetBSD); there are no escapes. ok is false at the end of the
// entry.
func (s *source) word() (w word, ok bool) {
	for {
		if s.eof() {
			return word{}, false
		}
		r := s.rest()
		t := strings.TrimLeft(r, " \t")
		s.col += len(r) - len(t)
		if t != "" {
			break
		}
		// End of line: look for a continuation line.
		i := s.ln + 1
		for {
			cont, skip := s.isContinuation(i)
			if skip {
				i++
				continue
			}
			if !cont {
				return word{}, false
			}
			break
		}
		s.ln, s.col = i, 0
	}
	line := s.ln + 1
	r := s.rest()
	var b strings.Builder
	var quote byte
	i := 0
	for ; i < len(r); i++ {
		c := r[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case isBlank(c):
			s.col += i
			return word{b.String(), line}, true
		default:
			b.WriteByte(c)
		}
	}
	s.col += i
	if quote != 0 {
		s.errorf(line, "unclosed %c quote", quote)
	}
	return word{b.String(), line}, true
}

// skipEntry discards the rest of a positional entry.
func (s *source) skipEntry() {
	for {
		if _, ok := s.word(); !ok {
			return
		}
	}
}

// skipSpace skips blanks, line ends and comments ('#' to the end of the
// line), as NetBSD's key-value notation does. It returns false at the end
// of the file.
func (s *source) skipSpace() bool {
	for !s.eof() {
		r := s.rest()
		t := strings.TrimLeft(r, " \t")
		s.col += len(r) - len(t)
		if t == "" || t[0] == '#' {
			s.nextLine()
			continue
		}
		return true
	}
	return false
}

// skipPast moves past the next c outside comments and quotes, or to the end
// of the file; it is how a broken key-value definition is skipped.
func (s *source) skipPast(c byte) {
	for !s.eof() {
		r := s.rest()
		var quote byte
		for i := 0; i < len(r); i++ {
			switch {
			case quote != 0:
				if r[i] == quote {
					quote = 0
				} else if r[i] == '\\' {
					i++
				}
			case r[i] == '"' || r[i] == '\'':
				quote = r[i]
			case r[i] == '#':
				i = len(r)
			case r[i] == c:
				s.col += i + 1
				return
			}
		}
		s.nextLine()
	}
}
