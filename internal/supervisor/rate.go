package supervisor

import "time"

// exactMax is the largest rate kept exactly (one timestamp per event);
// above it the window counts per 1/60 of the interval.
const exactMax = 4096

// window counts events in a sliding interval: at most max per interval.
// For max ≤ exactMax it is exact (".5" allows exactly 5 spawns per minute);
// for larger limits, which only guard against runaway loops, it counts in
// 60 buckets.
type window struct {
	max      int
	interval time.Duration
	times    []time.Time // ring of the last max events (exact mode)
	next     int
	buckets  [60]int // bucket mode
	bucketAt [60]int64
}

func newWindow(max int, interval time.Duration) *window {
	w := &window{max: max, interval: interval}
	if max <= exactMax {
		w.times = make([]time.Time, 0, max)
	}
	return w
}

// allow records an event at now if the limit permits it.
func (w *window) allow(now time.Time) bool {
	if w.max <= 0 {
		return true
	}
	if w.times != nil || w.max <= exactMax {
		if len(w.times) < w.max {
			w.times = append(w.times, now)
			return true
		}
		if now.Sub(w.times[w.next]) < w.interval {
			return false
		}
		w.times[w.next] = now
		w.next = (w.next + 1) % w.max
		return true
	}
	slot := now.UnixNano() / int64(w.interval/60)
	total := 0
	for i := range w.buckets {
		if slot-w.bucketAt[i] < 60 {
			total += w.buckets[i]
		}
	}
	if total >= w.max {
		return false
	}
	i := slot % 60
	if w.bucketAt[i] != slot {
		w.bucketAt[i], w.buckets[i] = slot, 0
	}
	w.buckets[i]++
	return true
}

// nextAllowed returns when allow will next succeed.
func (w *window) nextAllowed(now time.Time) time.Time {
	if w.times != nil && len(w.times) == w.max && w.max > 0 {
		return w.times[w.next].Add(w.interval)
	}
	return now.Add(w.interval / 60)
}
