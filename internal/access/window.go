package access

import "time"

// Window counts events in a sliding interval exactly: with max 5 and a 60 s
// interval, an event is allowed when fewer than 5 allowed events happened in
// the 60 s before it. It is inetd's spawn-rate limit (-R, ".MAX") and the
// base of CPS. The zero Window, or one with max <= 0, allows everything.
//
// It keeps the times of the last max allowed events in a ring, so memory
// is fixed at creation and Allow does not allocate. Limits above ExactMax,
// which only guard against runaway loops (nowait.1000000), are counted in
// 60 buckets of 1/60 of the interval instead, so that memory stays small.
type Window struct {
	max      int
	interval time.Duration
	ring     []time.Time // times of allowed events, oldest at head once full
	head, n  int
	buckets  *buckets // for max > ExactMax
}

// ExactMax is the largest limit a Window keeps exactly.
const ExactMax = 4096

type buckets struct {
	count [60]int
	slot  [60]int64
}

// NewWindow returns a Window allowing max events per interval.
func NewWindow(max int, interval time.Duration) *Window {
	w := &Window{max: max, interval: interval}
	switch {
	case max > ExactMax:
		w.buckets = new(buckets)
	case max > 0:
		w.ring = make([]time.Time, max)
	}
	return w
}

// Max returns the limit.
func (w *Window) Max() int {
	if w == nil {
		return 0
	}
	return w.max
}

func (w *Window) allowBucket(now time.Time) bool {
	b, width := w.buckets, int64(w.interval/60)
	if width <= 0 {
		width = 1
	}
	slot := now.UnixNano() / width
	total := 0
	for i := range b.count {
		if slot-b.slot[i] < 60 {
			total += b.count[i]
		}
	}
	if total >= w.max {
		return false
	}
	i := slot % 60
	if b.slot[i] != slot {
		b.slot[i], b.count[i] = slot, 0
	}
	b.count[i]++
	return true
}

// Allow reports whether an event at now fits in the window, and records it
// when it does. Times must not go backwards by more than the interval; a
// clock step back only delays the next allowed event.
func (w *Window) Allow(now time.Time) bool {
	if w == nil || w.max <= 0 {
		return true
	}
	if w.buckets != nil {
		return w.allowBucket(now)
	}
	if w.n < w.max {
		w.ring[(w.head+w.n)%w.max] = now
		w.n++
		return true
	}
	if now.Sub(w.ring[w.head]) < w.interval {
		return false
	}
	w.ring[w.head] = now
	w.head = (w.head + 1) % w.max
	return true
}

// Next returns the earliest time at or after now when Allow would succeed.
func (w *Window) Next(now time.Time) time.Time {
	if w == nil || w.max <= 0 || w.n < w.max {
		return now
	}
	if w.buckets != nil {
		return now.Add(w.interval / 60)
	}
	if t := w.ring[w.head].Add(w.interval); t.After(now) {
		return t
	}
	return now
}

// Count returns how many allowed events are within the interval before now.
func (w *Window) Count(now time.Time) int {
	if w == nil {
		return 0
	}
	c := 0
	for i := 0; i < w.n; i++ {
		if now.Sub(w.ring[(w.head+i)%w.max]) < w.interval {
			c++
		}
	}
	return c
}

// Reset forgets every event.
func (w *Window) Reset() {
	if w != nil {
		w.head, w.n = 0, 0
		if w.buckets != nil {
			*w.buckets = buckets{}
		}
	}
}

// CPS is xinetd's cps attribute ("cps = rate pause"): when more than rate
// connections arrive within one second, the service is paused for pause
// and then resumes on its own. The connection that trips the limit is
// refused; while paused every connection is refused. After a pause the count
// starts afresh. A nil CPS, or rate <= 0, allows everything.
type CPS struct {
	win    *Window
	pause  time.Duration
	paused time.Time // refuse until this time
}

// NewCPS returns the limit for rate connections per second and the pause.
func NewCPS(rate int, pause time.Duration) *CPS {
	return &CPS{win: NewWindow(rate, time.Second), pause: pause}
}

// Allow records a connection at now. When it is refused, resumeAt says when
// the service takes connections again; the supervisor stops listening until
// then, as xinetd deactivates the service.
func (c *CPS) Allow(now time.Time) (ok bool, resumeAt time.Time) {
	if c == nil || c.win.max <= 0 {
		return true, time.Time{}
	}
	if now.Before(c.paused) {
		return false, c.paused
	}
	if c.win.Allow(now) {
		return true, time.Time{}
	}
	c.paused = now.Add(c.pause)
	c.win.Reset()
	return false, c.paused
}

// Paused reports whether the service is paused at now, and until when.
func (c *CPS) Paused(now time.Time) (bool, time.Time) {
	if c == nil || !now.Before(c.paused) {
		return false, time.Time{}
	}
	return true, c.paused
}
