package conf

import (
	"net"
	"strconv"
	"strings"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// Parse parses the syslog.conf text src, read from the file called name.
// It returns the rules of every line that is correct and the problems of
// every other line; a line with a problem yields no rule.
func Parse(name string, src []byte) (*Config, Problems) {
	var (
		cfg  Config
		errs Problems
	)
	for _, ln := range logicalLines(name, string(src)) {
		if r, ok := parseLine(ln.pos, ln.text, &errs); ok {
			cfg.Rules = append(cfg.Rules, r)
		}
	}
	return &cfg, errs
}

type line struct {
	pos  Pos
	text string
}

// logicalLines joins lines continued with a trailing '\' and drops blank
// lines and comments. A logical line is at the position of its first line.
func logicalLines(name, src string) []line {
	var out []line
	var cur strings.Builder
	start, n, open := 0, 0, false
	for raw := range strings.Lines(src) {
		n++
		raw = strings.TrimRight(raw, "\r\n")
		if !open {
			start = n
			cur.Reset()
		}
		if t := strings.TrimRight(raw, " \t"); strings.HasSuffix(t, `\`) {
			cur.WriteString(t[:len(t)-1])
			open = true
			continue
		}
		cur.WriteString(raw)
		open = false
		out = appendLine(out, Pos{File: name, Line: start}, cur.String())
	}
	if open {
		out = appendLine(out, Pos{File: name, Line: start}, cur.String())
	}
	return out
}

func appendLine(out []line, pos Pos, text string) []line {
	text = strings.TrimSpace(text)
	if text == "" || text[0] == '#' {
		return out
	}
	return append(out, line{pos, text})
}

func parseLine(pos Pos, text string, errs *Problems) (Rule, bool) {
	n0 := len(*errs)
	if text[0] == '$' || strings.HasPrefix(text, "module(") || strings.HasPrefix(text, "input(") {
		errs.Errorf(pos, "unsupported directive %q (only the legacy selector/action form is understood)", firstWord(text))
		return Rule{}, false
	}
	sel, act := text, ""
	if i := strings.IndexAny(text, " \t"); i >= 0 {
		sel, act = text[:i], strings.TrimSpace(text[i:])
	}
	r := Rule{Pos: pos}
	parseSelectors(pos, sel, &r.Mask, errs)
	if act == "" {
		errs.Errorf(pos, "missing action after %q", sel)
	} else {
		r.Action = parseAction(pos, act, errs)
	}
	return r, len(*errs) == n0
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t("); i > 0 {
		return s[:i]
	}
	return s
}

// parseSelectors applies "sel;sel;..." to mask, left to right.
func parseSelectors(pos Pos, text string, mask *Mask, errs *Problems) {
	for _, sel := range strings.Split(text, ";") {
		facs, pri, ok := strings.Cut(sel, ".")
		if !ok {
			errs.Errorf(pos, "selector %q: missing \".priority\"", sel)
			continue
		}
		neg, single := false, false
		if strings.HasPrefix(pri, "!") {
			neg, pri = true, pri[1:]
		}
		if strings.HasPrefix(pri, "=") {
			single, pri = true, pri[1:]
		}
		var bits uint8 // the severities this selector adds or removes
		none := false
		switch {
		case pri == "":
			errs.Errorf(pos, "selector %q: missing priority", sel)
			continue
		case pri == "*":
			bits = 0xff
		case pri == "none":
			none = true
		default:
			s, ok := msg.LookupSeverity(pri)
			if !ok {
				errs.Errorf(pos, "unknown priority %q", pri)
				continue
			}
			if single {
				bits = 1 << s
			} else {
				bits = uint8(1<<(s+1) - 1)
			}
		}
		if facs == "" {
			errs.Errorf(pos, "selector %q: missing facility", sel)
			continue
		}
		for _, f := range strings.Split(facs, ",") {
			var list []int
			if f == "*" {
				for i := range msg.NumFacilities {
					list = append(list, i)
				}
			} else if n, ok := msg.LookupFacility(f); !ok {
				errs.Errorf(pos, "unknown facility %q", f)
				continue
			} else if n < msg.NumFacilities {
				list = append(list, n)
			}
			for _, n := range list {
				switch {
				case none:
					mask[n] = 0
				case neg:
					mask[n] &^= bits
				default:
					mask[n] |= bits
				}
			}
		}
	}
}

// parseAction reads an action and its options: "ACTION;OPT[,OPT]...",
// as sysklogd 2 writes them ("/var/log/all ;RFC5424").
func parseAction(pos Pos, s string, errs *Problems) Action {
	s, opts, hasOpts := strings.Cut(s, ";")
	s = strings.TrimSpace(s)
	if s == "" {
		errs.Errorf(pos, "missing action before %q", ";"+opts)
		return Action{}
	}
	a := parseTarget(pos, s, errs)
	if !hasOpts {
		return a
	}
	for _, o := range strings.Split(opts, ",") {
		switch o = strings.TrimSpace(o); strings.ToUpper(o) {
		case "RFC5424":
			a.RFC5424 = true
		case "RFC3164":
			a.RFC5424 = false
		default:
			errs.Errorf(pos, "unknown action option %q (expected RFC5424 or RFC3164)", o)
			continue
		}
		if a.Kind != File && a.Kind != Fifo && a.Kind != Forward {
			errs.Errorf(pos, "action option %q applies to files, pipes and forwarding only", o)
		}
	}
	return a
}

func parseTarget(pos Pos, s string, errs *Problems) Action {
	switch {
	case strings.HasPrefix(s, "-/"):
		return Action{Kind: File, Path: s[1:]}
	case s[0] == '/':
		return Action{Kind: File, Path: s, Sync: true}
	case s[0] == '|':
		p := strings.TrimSpace(s[1:])
		if !strings.HasPrefix(p, "/") {
			errs.Errorf(pos, "fifo %q: path must be absolute", p)
		}
		return Action{Kind: Fifo, Path: p}
	case s[0] == '@':
		return parseForward(pos, s[1:], errs)
	case s == "*":
		return Action{Kind: Wall}
	}
	users := strings.Split(s, ",")
	for _, u := range users {
		if !validUser(u) {
			errs.Errorf(pos, "unknown action %q (expected /file, -/file, @host, |fifo, * or user names)", s)
			break
		}
	}
	return Action{Kind: Users, Users: users}
}

func parseForward(pos Pos, s string, errs *Problems) Action {
	a := Action{Kind: Forward, Host: s, Port: "514"}
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		h, p, err := net.SplitHostPort(s)
		if err != nil && strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			h, p, err = s[1:len(s)-1], "514", nil
		}
		if err != nil {
			errs.Errorf(pos, "forward %q: %v", "@"+s, err)
			return a
		}
		a.Host, a.Port = h, p
	}
	if a.Host == "" {
		errs.Errorf(pos, "forward %q: missing host", "@"+s)
	}
	if n, err := strconv.Atoi(a.Port); err == nil && (n < 1 || n > 65535) || a.Port == "" {
		errs.Errorf(pos, "forward %q: bad port %q", "@"+s, a.Port)
	}
	return a
}

func validUser(u string) bool {
	if u == "" || len(u) > 32 || u[0] == '-' {
		return false
	}
	for _, c := range []byte(u) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '$') {
			return false
		}
	}
	return true
}
