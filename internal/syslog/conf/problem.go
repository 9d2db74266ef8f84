package conf

import (
	"fmt"
	"strings"
)

// Pos is a line of a configuration file.
type Pos struct {
	File string
	Line int
}

// String returns "FILE:LINE".
func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Problem is one configuration error.
type Problem struct {
	Pos Pos
	Msg string
}

// Error returns "FILE:LINE: message".
func (p Problem) Error() string { return p.Pos.String() + ": " + p.Msg }

// Problems lists problems in file order.
type Problems []Problem

func (ps *Problems) errorf(pos Pos, format string, args ...any) {
	*ps = append(*ps, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Error returns one problem per line.
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

// Err returns ps as an error, or nil when it is empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
