package access

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"
)

// stepped returns what time.Now would return at the instant t after the
// system's wall clock was stepped by d (whole seconds; settimeofday, NTP):
// the same monotonic clock reading, the wall clock moved. The test is
// skipped if t has no monotonic reading or time.Time is not laid out as
// this expects (a wall word whose bits 30 to 62 count seconds when bit 63
// says a monotonic reading follows in ext).
func stepped(tb testing.TB, t time.Time, d time.Duration) time.Time {
	tb.Helper()
	type layout struct {
		wall uint64
		ext  int64
		loc  *time.Location
	}
	if unsafe.Sizeof(t) != unsafe.Sizeof(layout{}) {
		tb.Skip("time.Time is not laid out as expected")
	}
	u := t
	p := (*layout)(unsafe.Pointer(&u))
	if p.wall&(1<<63) == 0 {
		tb.Skip("no monotonic clock reading")
	}
	p.wall += uint64(int64(d/time.Second)) << 30
	if u.Sub(t) != 0 || u.Round(0).Sub(t.Round(0)) != d {
		tb.Skip("time.Time is not laid out as expected")
	}
	return u
}

// TestLimitsWallClockStep: the limits measure time by the monotonic clock,
// so a step of the wall clock (forward or back, by more than their
// interval or by less) neither lets a client through early nor holds one
// back: a full window stays full a second later whatever the wall clock
// says, and frees up a minute later whatever it says.
// (The bucketed Window, for limits above ExactMax, numbered its slots by
// the wall clock: a step forward emptied it, a step back kept it full.)
func TestLimitsWallClockStep(t *testing.T) {
	const max = 10
	src := netip.MustParseAddr("192.0.2.1")
	limits := []struct {
		name  string
		allow func(now time.Time) bool
		reset func()
	}{}
	add := func(name string, mk func() func(time.Time) bool) {
		var f func(time.Time) bool
		limits = append(limits, struct {
			name  string
			allow func(now time.Time) bool
			reset func()
		}{name, func(now time.Time) bool { return f(now) }, func() { f = mk() }})
	}
	add("window", func() func(time.Time) bool { return NewWindow(max, time.Minute).Allow })
	add("window-buckets", func() func(time.Time) bool { return newWindow(max, time.Minute, max/2).Allow })
	add("per-source", func() func(time.Time) bool {
		r := NewPerSourceRate(max, time.Minute, 0)
		return func(now time.Time) bool { return r.Allow(src, now) }
	})
	add("per-source-buckets", func() func(time.Time) bool {
		r := NewPerSourceRate(PerSourceExactMax+max, time.Minute, 0)
		n := PerSourceExactMax // take the excess at once, so that max are left
		return func(now time.Time) bool {
			for ; n > 0; n-- {
				r.Allow(src, now)
			}
			return r.Allow(src, now)
		}
	})
	for _, l := range limits {
		for _, step := range []time.Duration{2 * time.Hour, -2 * time.Hour, 30 * time.Second, -30 * time.Second} {
			l.reset()
			t0 := time.Now()
			for i := range max {
				if !l.allow(t0) {
					t.Fatalf("%s: event %d refused", l.name, i)
				}
			}
			if l.allow(stepped(t, t0.Add(time.Second), step)) {
				t.Errorf("%s: wall clock stepped by %v: an event over the limit allowed a second later", l.name, step)
			}
			if !l.allow(stepped(t, t0.Add(61*time.Second), step)) {
				t.Errorf("%s: wall clock stepped by %v: refused a minute later", l.name, step)
			}
		}
	}
}

// TestCPSWallClockStep: cps's pause ends after its duration by the
// monotonic clock, whatever the wall clock does meanwhile.
func TestCPSWallClockStep(t *testing.T) {
	for _, step := range []time.Duration{time.Hour, -time.Hour} {
		c := NewCPS(2, 10*time.Second)
		t0 := time.Now()
		c.Allow(t0)
		c.Allow(t0)
		if ok, _ := c.Allow(t0); ok {
			t.Fatal("third connection within a second allowed")
		}
		if ok, _ := c.Allow(stepped(t, t0.Add(time.Second), step)); ok {
			t.Errorf("step %v: allowed during the pause", step)
		}
		if ok, _ := c.Allow(stepped(t, t0.Add(11*time.Second), step)); !ok {
			t.Errorf("step %v: refused after the pause", step)
		}
	}
}
