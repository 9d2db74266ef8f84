package xinetdconf

import (
	"strings"

	"github.com/ginetd/ginetd/internal/config"
)

// line is one significant line of a file: not blank and not a comment.
type line struct {
	pos   config.Pos
	text  string   // the line without surrounding white space
	words []string // text split at white space
}

// isSpace reports whether c is white space between words. xinetd splits on
// space and tab; carriage returns and the other ASCII spaces are taken as
// white space too, so files with CRLF line ends read the same.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// lex splits src into its significant lines. A line whose first non-space
// character is '#' is a comment, as in xinetd.
func lex(file string, src []byte) []line {
	var out []line
	n := 0
	for len(src) > 0 {
		n++
		var raw []byte
		if i := indexByte(src, '\n'); i >= 0 {
			raw, src = src[:i], src[i+1:]
		} else {
			raw, src = src, nil
		}
		text := trimSpace(string(raw))
		if text == "" || text[0] == '#' {
			continue
		}
		out = append(out, line{pos: config.Pos{File: file, Line: n}, text: text, words: fields(text)})
	}
	return out
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// fields splits s at runs of white space.
func fields(s string) []string {
	var out []string
	for {
		for len(s) > 0 && isSpace(s[0]) {
			s = s[1:]
		}
		if s == "" {
			return out
		}
		i := 0
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
}

// Assignment operators.
type op int

const (
	opSet op = iota // =
	opAdd           // +=
	opDel           // -=
)

func (o op) String() string {
	switch o {
	case opAdd:
		return "+="
	case opDel:
		return "-="
	}
	return "="
}

// attrLine is one "name op value..." line inside an entry.
type attrLine struct {
	pos    config.Pos
	name   string
	op     op
	values []string // the words after the operator
	rest   string   // the text after the operator, white space trimmed
}

// splitAttr splits an attribute line into name, operator and values.
// xinetd wants white space before the operator; ginetd also takes
// "name=value". ok is false when there is no operator.
func splitAttr(l line) (a attrLine, ok bool) {
	s := l.text
	i := 0
	for i < len(s) && !isSpace(s[i]) && s[i] != '=' && !(i > 0 && (s[i] == '+' || s[i] == '-') && i+1 < len(s) && s[i+1] == '=') {
		i++
	}
	a.pos = l.pos
	a.name = s[:i]
	s = s[i:]
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	switch {
	case strings.HasPrefix(s, "+="):
		a.op, s = opAdd, s[2:]
	case strings.HasPrefix(s, "-="):
		a.op, s = opDel, s[2:]
	case strings.HasPrefix(s, "="):
		a.op, s = opSet, s[1:]
	default:
		return a, false
	}
	a.rest = trimSpace(s)
	a.values = fields(s)
	return a, a.name != ""
}

// dropComment removes a trailing comment: the first word that starts with
// '#' and everything after it.
func dropComment(values []string) []string {
	for i, v := range values {
		if strings.HasPrefix(v, "#") {
			return values[:i]
		}
	}
	return values
}
