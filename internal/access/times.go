package access

import (
	"strconv"
	"strings"
	"time"
)

// Times is xinetd's access_times: the minutes of the day when a service is
// available. The zero Times (no access_times) allows every time.
type Times struct {
	spans []span // minutes since midnight, both ends included
}

type span struct{ from, to int16 }

// ParseTimes reads access_times tokens, each "hh:mm-hh:mm" with hours 0-23
// and minutes 0-59 (config.Service.AccessTimes). Both bounds are inside the
// interval, to the minute: "08:00-17:00" allows 17:00:59. An interval whose
// end is before its start wraps past midnight ("22:00-06:00"). Malformed
// tokens are reported and left out; a nil or empty list allows every time.
func ParseTimes(toks []string) (Times, []*TokenError) {
	var t Times
	var errs []*TokenError
	for i, tok := range toks {
		s, msg := parseSpan(tok)
		if msg != "" {
			errs = append(errs, &TokenError{List: "access_times", Index: i, Token: tok, Msg: msg})
			continue
		}
		t.spans = append(t.spans, s)
	}
	return t, errs
}

func parseSpan(tok string) (span, string) {
	a, b, ok := strings.Cut(tok, "-")
	if !ok {
		return span{}, "want hh:mm-hh:mm"
	}
	from, ok1 := parseHHMM(a)
	to, ok2 := parseHHMM(b)
	if !ok1 || !ok2 {
		return span{}, "want hh:mm-hh:mm, hours 0-23, minutes 0-59"
	}
	return span{from, to}, ""
}

func parseHHMM(s string) (int16, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) == 0 || len(m) > 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || h[0] == '+' || m[0] == '+' {
		return 0, false
	}
	return int16(hh*60 + mm), true
}

// Allowed reports whether t, in t's own location, falls in one of the
// intervals. The supervisor passes local time, as xinetd uses.
func (ts Times) Allowed(t time.Time) bool {
	if len(ts.spans) == 0 {
		return true
	}
	h, m, _ := t.Clock()
	now := int16(h*60 + m)
	for _, s := range ts.spans {
		if s.from <= s.to {
			if s.from <= now && now <= s.to {
				return true
			}
		} else if now >= s.from || now <= s.to {
			return true
		}
	}
	return false
}

// Empty reports whether no interval is set (every time allowed).
func (ts Times) Empty() bool { return len(ts.spans) == 0 }
