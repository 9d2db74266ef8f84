package access

import (
	"net/netip"
	"testing"
	"time"
)

var (
	benchV4 = netip.MustParseAddr("192.168.1.77")
	benchV6 = netip.MustParseAddr("2001:db8::77")
)

func BenchmarkAddrMatcher(b *testing.B) {
	m, _ := Compile([]string{"10.0.0.0/8", "172.16.0.0/12", "192.168.{1,2}.0", "2001:db8::/32", "127.0.0.1"},
		[]string{"192.168.1.66", "10.9.0.0"}, nil)
	b.ReportAllocs()
	for b.Loop() {
		m.Allowed(benchV4)
		m.Allowed(benchV6)
	}
}

func BenchmarkTimes(b *testing.B) {
	ts, _ := ParseTimes([]string{"08:00-12:00", "13:00-17:30", "22:00-02:00"})
	now := time.Date(2026, 1, 1, 16, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		ts.Allowed(now)
	}
}

func BenchmarkHostsCheck(b *testing.B) {
	h := NewHostsAccess("testdata/hosts.allow", "testdata/hosts.deny", newFakeClock())
	b.ReportAllocs()
	for b.Loop() {
		h.Check("imap", benchV4, netip.Addr{}) // walks most rules
		h.Check("tftp", benchV6, netip.Addr{})
	}
}

func BenchmarkWindow(b *testing.B) {
	w := NewWindow(256, time.Minute)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		w.Allow(now)
	}
}

func BenchmarkCPS(b *testing.B) {
	c := NewCPS(100, time.Second)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		c.Allow(now)
	}
}

func BenchmarkPerSource(b *testing.B) {
	var p PerSource
	p.Acquire(benchV6, 0) // keep the map allocated
	b.ReportAllocs()
	for b.Loop() {
		p.Acquire(benchV4, 10)
		p.Release(benchV4)
	}
}

func BenchmarkPerSourceRate(b *testing.B) {
	r := NewPerSourceRate(20, time.Minute, 1024)
	now := time.Now()
	var addrs [256]netip.Addr
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{10, 0, 1, byte(i)})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now = now.Add(time.Millisecond)
		r.Allow(addrs[i%len(addrs)], now)
		i++
	}
}

func BenchmarkSensorDenied(b *testing.B) {
	s := NewSensor(0)
	now := time.Now()
	for i := 0; i < 1000; i++ {
		s.Add(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), time.Hour, now)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Denied(benchV4, now)
	}
}

func BenchmarkLoad(b *testing.B) {
	c := newFakeClock()
	l := NewLoad(100, "", c)
	b.ReportAllocs()
	for b.Loop() {
		l.Overloaded()
	}
}
