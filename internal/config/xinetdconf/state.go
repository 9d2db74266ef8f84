package xinetdconf

import (
	"fmt"
	"strings"

	"github.com/ginetd/ginetd/internal/config"
)

// state collects the attributes of one entry (a service, or the defaults)
// while its lines are applied.
type state struct {
	p     *parser
	where string // "service NAME" or "defaults"
	svc   *config.Service

	isDefaults bool
	quiet      bool // replaying the defaults onto a service: report nothing
	disabled   bool // the service will not run: errors become warnings
	failed     bool // an error was reported: the service is left out
	skip       bool // a warning left the service out
	nerr       int  // errors found, reported or not

	set map[string]config.Pos // attributes given in this entry itself

	// Raw values that are checked once the whole entry is read.
	types      map[string]bool
	flags      map[string]bool
	socketType string
	protocol   string
	serverArgs []string
	disable    bool
	v6only     *bool
	groups     *bool
	redirect   [2]string
	enabled    []string // defaults only
	disabledL  []string // defaults only
	enabledSet bool
}

func newState(p *parser, e *entry) *state {
	st := &state{
		p:     p,
		where: what(e),
		svc: &config.Service{
			Pos:     e.pos,
			Dialect: config.DialectXinetd,
			Name:    e.name,
			Umask:   -1,
		},
		isDefaults: e.defaults,
		set:        map[string]config.Pos{},
		types:      map[string]bool{},
		flags:      map[string]bool{},
	}
	return st
}

// errorf reports an error in the entry. In a disabled service it is a
// warning, since the service will not run anyway.
func (st *state) errorf(pos config.Pos, format string, args ...any) {
	st.nerr++
	if st.quiet {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if st.disabled {
		st.p.probs.Warnf(pos, "%s (service is disabled)", msg)
		return
	}
	st.failed = true
	st.p.probs.Errorf(pos, "%s", msg)
}

// warnf reports a warning in the entry.
func (st *state) warnf(pos config.Pos, format string, args ...any) {
	if st.quiet {
		return
	}
	st.p.probs.Warnf(pos, format, args...)
}

// skipf reports a warning that leaves the service out.
func (st *state) skipf(pos config.Pos, format string, args ...any) {
	if st.isDefaults {
		st.errorf(pos, format, args...)
		return
	}
	if st.quiet || st.disabled {
		return
	}
	st.skip = true
	st.p.probs.Warnf(pos, format+"; service skipped", args...)
}

// bad reports a bad value for attribute a.
func (st *state) bad(a *attrLine, val, want string) {
	st.errorf(a.pos, "bad value %q for %s in %s (want %s)", val, a.name, st.where, want)
}

// yesNo parses a yes/no value.
func (st *state) yesNo(a *attrLine) (bool, bool) {
	switch strings.ToLower(a.values[0]) {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	st.bad(a, a.values[0], "yes or no")
	return false, false
}

// apply applies one attribute line and reports whether it took effect.
func (st *state) apply(a attrLine) bool {
	spec, ok := attrs[a.name]
	if !ok || (spec.defaultsOnly && !st.isDefaults) {
		st.errorf(a.pos, "unknown attribute %q in %s", a.name, st.where)
		return false
	}
	if st.isDefaults && !spec.defaults && !spec.defaultsOnly {
		st.errorf(a.pos, "attribute %q is not allowed in defaults", a.name)
		return false
	}
	if !spec.rest {
		a.values = dropComment(a.values)
	}
	key := a.name
	if spec.alias != "" {
		key = spec.alias
	}
	if spec.list {
		if st.isDefaults && a.op == opSet {
			// In the defaults, '=' adds to the list, as in xinetd.
			a.op = opAdd
		}
	} else {
		if a.op != opSet {
			st.errorf(a.pos, "operator %q cannot be used for attribute %q in %s", a.op, a.name, st.where)
			return false
		}
		if prev, ok := st.set[key]; ok && !st.quiet {
			st.warnf(a.pos, "attribute %q already set at line %d in %s; this one is ignored", a.name, prev.Line, st.where)
			return false
		}
	}
	switch {
	case spec.n > 0 && len(a.values) != spec.n:
		st.errorf(a.pos, "attribute %q needs %s, got %d in %s", a.name, plural(spec.n, "value"), len(a.values), st.where)
		return false
	case spec.n < 0 && len(a.values) < -spec.n:
		st.errorf(a.pos, "attribute %q needs at least %s in %s", a.name, plural(-spec.n, "value"), st.where)
		return false
	}
	n := st.nerr
	spec.fn(st, &a)
	if st.nerr > n {
		return false
	}
	if !st.quiet {
		if _, ok := st.set[key]; !ok {
			st.set[key] = a.pos
		}
	}
	return true
}

func plural(n int, s string) string {
	if n == 1 {
		return "1 " + s
	}
	return fmt.Sprintf("%d %ss", n, s)
}

// editList applies '=', '+=' or '-=' with values to list.
func editList(list []string, o op, values []string) []string {
	switch o {
	case opSet:
		return append([]string(nil), values...)
	case opAdd:
		out := append([]string(nil), list...)
		for _, v := range values {
			if !contains(out, v) {
				out = append(out, v)
			}
		}
		return out
	}
	var out []string
	for _, v := range list {
		if !contains(values, v) {
			out = append(out, v)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
