package access

import (
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	c := newFakeClock()
	w := NewWindow(5, time.Minute)
	start := c.Now()
	for i := 0; i < 5; i++ {
		if !w.Allow(c.Now()) {
			t.Fatalf("event %d refused", i)
		}
		c.Advance(time.Second)
	}
	// 5 allowed at t=0..4s; the 6th waits until t=60s.
	if w.Allow(c.Now()) {
		t.Fatal("6th event within the minute allowed")
	}
	if next := w.Next(c.Now()); !next.Equal(start.Add(time.Minute)) {
		t.Fatalf("Next = %v, want %v", next.Sub(start), time.Minute)
	}
	if n := w.Count(c.Now()); n != 5 {
		t.Fatalf("Count = %d", n)
	}
	c.t = start.Add(time.Minute - time.Nanosecond)
	if w.Allow(c.Now()) {
		t.Fatal("allowed 1ns early")
	}
	c.t = start.Add(time.Minute)
	if !w.Allow(c.Now()) {
		t.Fatal("refused at exactly one interval")
	}
	if w.Allow(c.Now()) {
		t.Fatal("the slot of t=1s is not free before t=61s")
	}
	c.t = start.Add(61 * time.Second)
	if !w.Allow(c.Now()) {
		t.Fatal("refused at t=61s")
	}
	if next := w.Next(c.Now()); !next.Equal(start.Add(62 * time.Second)) {
		t.Fatalf("Next = %v", next.Sub(start))
	}

	// Exactly max per interval over a long run, events every second.
	w = NewWindow(5, time.Minute)
	allowed := 0
	for i := 0; i < 600; i++ {
		if w.Allow(start.Add(time.Duration(i) * time.Second)) {
			allowed++
		}
	}
	if allowed != 50 {
		t.Fatalf("allowed %d in 10 minutes, want 50", allowed)
	}
	var unlimited *Window
	if !unlimited.Allow(start) || !NewWindow(0, time.Minute).Allow(start) {
		t.Fatal("unlimited window refused")
	}
}

func TestCPS(t *testing.T) {
	c := newFakeClock()
	cps := NewCPS(3, 10*time.Second)
	start := c.Now()
	for i := 0; i < 3; i++ {
		if ok, _ := cps.Allow(c.Now()); !ok {
			t.Fatalf("conn %d refused", i)
		}
		c.Advance(100 * time.Millisecond)
	}
	ok, resume := cps.Allow(c.Now()) // 4th within one second
	if ok || !resume.Equal(c.Now().Add(10*time.Second)) {
		t.Fatalf("4th: ok=%v resume=%v", ok, resume.Sub(start))
	}
	c.Advance(5 * time.Second)
	if ok, r := cps.Allow(c.Now()); ok || !r.Equal(resume) {
		t.Fatalf("during pause: %v %v", ok, r)
	}
	if p, _ := cps.Paused(c.Now()); !p {
		t.Fatal("not paused")
	}
	c.t = resume
	if p, _ := cps.Paused(c.Now()); p {
		t.Fatal("still paused at resume time")
	}
	for i := 0; i < 3; i++ {
		if ok, _ := cps.Allow(c.Now()); !ok {
			t.Fatalf("after resume conn %d refused", i)
		}
	}
	// A steady 3 per second never trips.
	cps = NewCPS(3, time.Second)
	for i := 0; i < 300; i++ {
		if ok, _ := cps.Allow(start.Add(time.Duration(i) * time.Second / 3)); !ok {
			t.Fatalf("steady rate tripped at %d", i)
		}
	}
	var none *CPS
	if ok, _ := none.Allow(start); !ok {
		t.Fatal("nil CPS refused")
	}
}

func TestPerSource(t *testing.T) {
	var p PerSource
	a := netip.MustParseAddr("10.0.0.1")
	mapped := netip.MustParseAddr("::ffff:10.0.0.1")
	b := netip.MustParseAddr("2001:db8::1")
	steps := []struct {
		op   string
		addr netip.Addr
		max  int
		want bool
	}{
		{"acq", a, 2, true},
		{"acq", mapped, 2, true},
		{"acq", a, 2, false},
		{"acq", b, 2, true},
		{"rel", a, 0, true},
		{"acq", a, 2, true},
		{"rel", a, 0, true},
		{"rel", mapped, 0, true},
		{"rel", a, 0, false}, // nothing held: no-op
		{"acq", b, 0, true},  // unlimited still counts
		{"rel", b, 0, true},
		{"rel", b, 0, true},
		{"rel", b, 0, false},
	}
	for i, s := range steps {
		var got bool
		if s.op == "acq" {
			got = p.Acquire(s.addr, s.max)
		} else {
			got = p.Release(s.addr)
		}
		if got != s.want {
			t.Fatalf("step %d %s %s = %v, want %v", i, s.op, s.addr, got, s.want)
		}
	}
	if p.Len() != 0 || p.Count(a) != 0 {
		t.Fatalf("leak: len %d", p.Len())
	}
}

func TestPerSourceRate(t *testing.T) {
	c := newFakeClock()
	start := c.Now()
	r := NewPerSourceRate(3, time.Minute, 4)
	a := netip.MustParseAddr("10.0.0.1")
	for i := 0; i < 3; i++ {
		if !r.Allow(a, c.Now()) {
			t.Fatalf("conn %d refused", i)
		}
		c.Advance(10 * time.Second)
	}
	if r.Allow(a, c.Now()) || r.Allow(netip.MustParseAddr("::ffff:10.0.0.1"), c.Now()) {
		t.Fatal("4th in a minute allowed")
	}
	if n := r.Next(a, c.Now()); !n.Equal(start.Add(time.Minute)) {
		t.Fatalf("Next = %v", n.Sub(start))
	}
	if !r.Allow(netip.MustParseAddr("10.0.0.2"), c.Now()) {
		t.Fatal("other source refused")
	}
	c.t = start.Add(time.Minute)
	if !r.Allow(a, c.Now()) {
		t.Fatal("refused after the minute")
	}

	// Entries expire an interval after their last connection.
	c.Advance(2 * time.Minute)
	r.Allow(netip.MustParseAddr("10.0.0.3"), c.Now())
	if r.Len() != 1 {
		t.Fatalf("Len = %d after expiry, want 1", r.Len())
	}

	// At the cap the least recently seen source is evicted.
	for i := 4; i < 10; i++ {
		r.Allow(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), c.Now())
		c.Advance(time.Second)
	}
	if r.Len() != 4 {
		t.Fatalf("Len = %d, want the cap 4", r.Len())
	}
	if _, ok := r.m[netip.MustParseAddr("10.0.0.3")]; ok {
		t.Fatal("oldest source not evicted")
	}
	if _, ok := r.m[netip.MustParseAddr("10.0.0.9")]; !ok {
		t.Fatal("newest source missing")
	}
	if !NewPerSourceRate(0, time.Minute, 0).Allow(a, c.Now()) {
		t.Fatal("unlimited refused")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "loadavg")
	writeFile(t, path, "0.50 0.40 0.30 1/100 12345\n")
	c := newFakeClock()
	l := NewLoad(2, path, c)
	if over, v := l.Overloaded(); over || v != 0.5 {
		t.Fatalf("Overloaded = %v, %v", over, v)
	}
	writeFile(t, path, "2.00 0.40 0.30 1/100 12345\n")
	if over, _ := l.Overloaded(); over {
		t.Fatal("re-read within a second")
	}
	c.Advance(time.Second)
	if over, v := l.Overloaded(); !over || v != 2 {
		t.Fatalf("at max: %v %v", over, v)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if over, _ := l.Overloaded(); !over || l.Err() == nil {
		t.Fatal("a failed read must keep the last value and set Err")
	}
	writeFile(t, path, "garbage\n")
	c.Advance(time.Second)
	if over, _ := l.Overloaded(); !over || l.Err() == nil {
		t.Fatal("a bad file must keep the last value")
	}
	if over, _ := NewLoad(1, filepath.Join(dir, "none"), c).Overloaded(); over {
		t.Fatal("unreadable load refused")
	}
	var none *Load
	if over, _ := none.Overloaded(); over {
		t.Fatal("nil Load refused")
	}
}

func TestSensor(t *testing.T) {
	c := newFakeClock()
	s := NewSensor(3)
	a := netip.MustParseAddr("10.0.0.1")
	b := netip.MustParseAddr("10.0.0.2")
	if s.Add(a, 0, c.Now()) || s.Denied(a, c.Now()) {
		t.Fatal("deny_time NEVER must only log")
	}
	s.Add(a, time.Minute, c.Now())
	s.Add(b, -1, c.Now()) // FOREVER
	if !s.Denied(netip.MustParseAddr("::ffff:10.0.0.1"), c.Now()) || !s.Denied(b, c.Now()) {
		t.Fatal("not denied")
	}
	s.Add(a, time.Second, c.Now()) // never shortens
	c.Advance(59 * time.Second)
	if !s.Denied(a, c.Now()) {
		t.Fatal("expired early")
	}
	c.Advance(time.Second)
	if s.Denied(a, c.Now()) || s.Len() != 1 {
		t.Fatalf("not expired: len %d", s.Len())
	}
	c.Advance(1000 * time.Hour)
	if !s.Denied(b, c.Now()) {
		t.Fatal("FOREVER expired")
	}
	// Cap: 3 entries; the one expiring soonest goes first, FOREVER last.
	s.Add(netip.MustParseAddr("10.0.0.3"), time.Hour, c.Now())
	s.Add(netip.MustParseAddr("10.0.0.4"), time.Minute, c.Now())
	s.Add(netip.MustParseAddr("10.0.0.5"), time.Hour, c.Now())
	if s.Len() != 3 || s.Denied(netip.MustParseAddr("10.0.0.4"), c.Now()) || !s.Denied(b, c.Now()) {
		t.Fatalf("eviction: len %d", s.Len())
	}
	c.Advance(2 * time.Hour)
	s.Sweep(c.Now())
	if s.Len() != 1 {
		t.Fatalf("Sweep left %d", s.Len())
	}
	var none *Sensor
	if none.Denied(a, c.Now()) || none.Add(a, time.Minute, c.Now()) {
		t.Fatal("nil Sensor")
	}
}

// TestWindowLarge checks the bucketed mode of limits above ExactMax: it
// never allows more than max per interval and frees up as time passes.
func TestWindowLarge(t *testing.T) {
	const max = ExactMax + 100
	w := NewWindow(max, time.Minute)
	t0 := time.Unix(1_000_000, 0)
	for i := 0; i < max; i++ {
		if !w.Allow(t0) {
			t.Fatalf("event %d refused", i)
		}
	}
	if w.Allow(t0.Add(30 * time.Second)) {
		t.Fatal("event over the limit allowed within the interval")
	}
	if !w.Allow(t0.Add(61 * time.Second)) {
		t.Fatal("event refused after the interval")
	}
}

// heapAfter returns the live heap after a collection.
func heapAfter() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestPerSourceRateMemoryPerSource: what a source costs does not depend on
// the configured limit (FreeBSD's nowait/0/2147483647/0 once reserved
// 24 bytes times the limit for each new source).
func TestPerSourceRateMemoryPerSource(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const sources = 20
	for _, max := range []int{10, PerSourceExactMax, 1000, 100_000, 1_000_000, math.MaxInt32} {
		r := NewPerSourceRate(max, time.Minute, 0)
		n := allocated(func() {
			for i := range sources {
				r.Allow(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), now)
			}
		})
		if per := n / sources; per > 1024 {
			t.Fatalf("max %d: a new source with one connection takes %d bytes", max, per)
		}
		// One source at its limit: bounded too.
		a := netip.MustParseAddr("10.1.0.1")
		n = allocated(func() {
			for i := range min(max, 10_000) {
				if !r.Allow(a, now.Add(time.Duration(i)*time.Microsecond)) {
					t.Fatalf("max %d: connection %d refused", max, i)
				}
			}
		})
		if n > 4096 {
			t.Fatalf("max %d: a busy source allocates %d bytes", max, n)
		}
		// Once a source's window has grown, Allow allocates nothing.
		if allocs := testing.AllocsPerRun(100, func() { r.Allow(a, now) }); allocs != 0 {
			t.Fatalf("max %d: Allow allocates %v times on a known source", max, allocs)
		}
	}
}

// TestPerSourceRateMemoryTotal: the table's memory is bounded whatever the
// size asked for; the sources seen least recently make room. Each source
// is driven to its largest footprint: a full ring (max 4) or its buckets
// (a limit above PerSourceExactMax).
func TestPerSourceRateMemoryTotal(t *testing.T) {
	for _, max := range []int{4, 1_000_000} {
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		before := heapAfter()
		r := NewPerSourceRate(max, time.Minute, 1<<20)
		want := RateTableBudget / entryBytes(max)
		sources := want + want/4
		addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
		for i := range sources {
			a := addr(i)
			for range min(max, PerSourceExactMax) {
				r.Allow(a, now)
			}
			now = now.Add(time.Microsecond)
		}
		used := int64(heapAfter()) - int64(before)
		if r.Len() > want {
			t.Fatalf("max %d: %d sources kept, want at most %d", max, r.Len(), want)
		}
		if used > RateTableBudget*5/4 {
			t.Fatalf("max %d: the table takes %d bytes, budget %d", max, used, RateTableBudget)
		}
		if _, ok := r.m[addr(0)]; ok {
			t.Fatalf("max %d: the oldest source was not evicted", max)
		}
		if _, ok := r.m[addr(sources-1)]; !ok {
			t.Fatalf("max %d: the newest source is missing", max)
		}
		runtime.KeepAlive(r)
		t.Logf("max %d: %d sources in %d bytes", max, r.Len(), used)
	}
}

// TestEntryBytes holds entryBytes' sizes to the real ones.
func TestEntryBytes(t *testing.T) {
	if strconv.IntSize != 64 {
		t.Skip("sizes are for 64-bit platforms")
	}
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"rateEntry", reflect.TypeFor[rateEntry]().Size(), rateEntrySize},
		{"buckets", reflect.TypeFor[buckets]().Size(), bucketsSize},
		{"time.Time", reflect.TypeFor[time.Time]().Size(), timeSize},
	} {
		if c.got > c.want {
			t.Errorf("%s takes %d bytes, entryBytes counts %d", c.name, c.got, c.want)
		}
	}
}

// TestWindowBucketsSlide: the bucketed Window forgets events as their
// slots pass, one slot at a time.
func TestWindowBucketsSlide(t *testing.T) {
	w := newWindow(10, time.Minute, 5)
	t0 := time.Unix(1_000_000_020, 0) // a slot boundary
	for i := range 10 {
		if !w.Allow(t0.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("event %d refused", i)
		}
	}
	if w.Allow(t0.Add(59 * time.Second)) {
		t.Fatal("11th event within the minute allowed")
	}
	if n := w.Next(t0.Add(59 * time.Second)); !n.After(t0.Add(59 * time.Second)) {
		t.Fatal("Next of a full window is now")
	}
	// At 60 s the first slot (one event) has passed: one more fits.
	if !w.Allow(t0.Add(60*time.Second)) || w.Allow(t0.Add(60*time.Second)) {
		t.Fatal("want exactly one event at 60 s")
	}
	if !w.Allow(t0.Add(10 * time.Minute)) {
		t.Fatal("refused long after")
	}
}
