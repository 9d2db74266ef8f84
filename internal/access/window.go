package access

import "time"

// Window counts events in a sliding interval exactly: with max 5 and a 60 s
// interval, an event is allowed when fewer than 5 allowed events happened in
// the 60 s before it. It is inetd's spawn-rate limit (-R, ".MAX") and the
// base of CPS and PerSourceRate. The zero Window, or one with max <= 0
// (config.NoLimit, the configuration's one spelling of "no limit", which
// -R 0, .0 and cps = 0 become), allows everything.
//
// It keeps the times of the last max allowed events in a ring that grows
// as events come, up to max, and Allow does not allocate once it has.
// Limits above ExactMax, which only guard against runaway loops
// (nowait.1000000), are counted in 60 buckets of 1/60 of the interval
// instead: a fixed 280 bytes, whatever the limit. Memory never depends on
// more than min(max, ExactMax).
type Window struct {
	max      int
	interval time.Duration
	ring     []time.Time // times of allowed events, oldest at head once full
	head, n  int
	buckets  *buckets // for max above the exact limit
}

// ExactMax is the largest limit a Window keeps exactly.
const ExactMax = 4096

// buckets count the events of the last 60 slots of 1/60 of the interval
// each: count[s%60] for slot s, valid for the slots up to last. Slots are
// counted from epoch, the time of the first event, so that times from
// time.Now are compared by their monotonic clock readings: a step of the
// system's wall clock does not move them (docs/reliability.md).
type buckets struct {
	count [60]uint32
	last  int64
	total int
	epoch time.Time
}

// NewWindow returns a Window allowing max events per interval.
func NewWindow(max int, interval time.Duration) *Window {
	return newWindow(max, interval, ExactMax)
}

// newWindow returns a Window that counts exactly up to exact events and
// in buckets above.
func newWindow(max int, interval time.Duration, exact int) *Window {
	w := &Window{max: max, interval: interval}
	if max > exact {
		w.buckets = new(buckets)
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
	if b.epoch.IsZero() {
		b.epoch = now
	}
	slot := b.last // a clock step back counts in the newest slot
	if e := now.Sub(b.epoch); e >= 0 {
		slot = int64(e) / width
	}
	switch d := slot - b.last; {
	case d >= 60 || d <= -60 || b.total == 0:
		*b = buckets{last: slot, epoch: b.epoch}
	case d > 0:
		for s := b.last + 1; s <= slot; s++ {
			i := s % 60
			b.total -= int(b.count[i])
			b.count[i] = 0
		}
		b.last = slot
	default:
		slot = b.last // a clock step back counts in the newest slot
	}
	if b.total >= w.max {
		return false
	}
	b.count[slot%60]++
	b.total++
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
		// Not full: head is 0 and the ring holds n times.
		if w.n == len(w.ring) {
			w.grow()
		}
		w.ring[w.n] = now
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

// grow makes room for one more time in a ring that is not full: it
// doubles, up to max.
func (w *Window) grow() {
	if w.n < cap(w.ring) {
		w.ring = w.ring[:w.n+1]
		return
	}
	r := make([]time.Time, w.n+1, min(max(2*w.n, 4), w.max))
	copy(r, w.ring)
	w.ring = r
}

// Next returns the earliest time at or after now when Allow would succeed
// (for a bucketed Window, a slot later when it is full).
func (w *Window) Next(now time.Time) time.Time {
	if w == nil || w.max <= 0 {
		return now
	}
	if w.buckets != nil {
		if w.buckets.total < w.max {
			return now
		}
		return now.Add(w.interval / 60)
	}
	if w.n < w.max {
		return now
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
