package access

import (
	"testing"
	"time"
)

func TestTimes(t *testing.T) {
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 4, h, m, s, 0, time.Local) }
	tests := []struct {
		toks []string
		t    time.Time
		want bool
	}{
		{nil, at(3, 0, 0), true},
		{[]string{"08:00-17:00"}, at(8, 0, 0), true},
		{[]string{"08:00-17:00"}, at(7, 59, 59), false},
		{[]string{"08:00-17:00"}, at(17, 0, 59), true},
		{[]string{"08:00-17:00"}, at(17, 1, 0), false},
		{[]string{"22:00-06:00"}, at(23, 30, 0), true},
		{[]string{"22:00-06:00"}, at(5, 0, 0), true},
		{[]string{"22:00-06:00"}, at(12, 0, 0), false},
		{[]string{"1:5-2:05", "12:00-12:00"}, at(12, 0, 30), true},
		{[]string{"1:5-2:05"}, at(1, 5, 0), true},
	}
	for _, tt := range tests {
		ts, errs := ParseTimes(tt.toks)
		if len(errs) > 0 {
			t.Fatalf("%v: %v", tt.toks, errs)
		}
		if got := ts.Allowed(tt.t); got != tt.want {
			t.Errorf("%v Allowed(%s) = %v, want %v", tt.toks, tt.t.Format("15:04:05"), got, tt.want)
		}
	}
	for i, bad := range []string{"8-17", "24:00-01:00", "08:60-09:00", "08:00", "a:b-c:d", "+8:00-09:00", "008:00-09:00"} {
		_, errs := ParseTimes([]string{"01:00-02:00", bad})
		if len(errs) != 1 || errs[0].Index != 1 || errs[0].Token != bad {
			t.Errorf("case %d %q: problems %v", i, bad, errs)
		}
	}
}
