package config

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in a configuration file.
type Pos struct {
	File string
	Line int
}

// String returns "FILE:LINE", or "FILE" when the line is unknown.
func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Problem is one configuration problem. An error (Warning false) makes the
// whole configuration unusable; a warning makes ginetd skip one entry.
type Problem struct {
	Pos     Pos
	Msg     string
	Warning bool
}

// Error formats the problem as "FILE:LINE: message", with "warning: " before
// the message of a warning.
func (p Problem) Error() string {
	if p.Warning {
		return p.Pos.String() + ": warning: " + p.Msg
	}
	return p.Pos.String() + ": " + p.Msg
}

// Problems collects problems in the order they are found.
type Problems []Problem

// Errorf adds an error at pos.
func (ps *Problems) Errorf(pos Pos, format string, args ...any) {
	*ps = append(*ps, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Warnf adds a warning at pos.
func (ps *Problems) Warnf(pos Pos, format string, args ...any) {
	*ps = append(*ps, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...), Warning: true})
}

// Add appends all of other.
func (ps *Problems) Add(other Problems) { *ps = append(*ps, other...) }

// HasErrors reports whether any problem is an error.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if !p.Warning {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (ps Problems) Errors() Problems { return ps.filter(false) }

// Warnings returns only the warnings.
func (ps Problems) Warnings() Problems { return ps.filter(true) }

func (ps Problems) filter(warning bool) Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning == warning {
			out = append(out, p)
		}
	}
	return out
}

// Sort orders problems by file, then line, keeping the order of problems on
// one line, and drops exact duplicates.
func (ps Problems) Sort() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	dedup := out[:0]
	for i, p := range out {
		if i > 0 && p == out[i-1] {
			continue
		}
		dedup = append(dedup, p)
	}
	return dedup
}

// Error formats every problem, one per line.
func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Err returns ps as an error when it holds an error, else nil.
func (ps Problems) Err() error {
	if ps.HasErrors() {
		return ps.Errors().Sort()
	}
	return nil
}
