package access

import (
	"net/netip"
	"time"
)

// DefaultSensorSize is the Sensor table size when NewSensor is given none.
const DefaultSensorSize = 65536

// Sensor is xinetd's global deny list, fed by SENSOR services: an address
// that touches a sensor is refused by every service for deny_time
// (config.Service.DenyTime). As in xinetd, deny_time 0 (NEVER) only logs,
// so Add does nothing, and a negative deny_time (FOREVER) keeps the address
// until ginetd restarts.
//
// Expired entries are deleted when Denied meets them and by Sweep. The
// table holds at most size addresses; when it is full, Add first sweeps,
// then evicts the entry that would expire soonest (a FOREVER entry last).
//
// It belongs to one goroutine.
type Sensor struct {
	size int
	m    map[netip.Addr]time.Time // expiry; zero Time = forever
}

// NewSensor returns an empty deny list for at most size addresses (size <=
// 0: DefaultSensorSize).
func NewSensor(size int) *Sensor {
	if size <= 0 {
		size = DefaultSensorSize
	}
	return &Sensor{size: size, m: make(map[netip.Addr]time.Time)}
}

// Add denies addr from now for d; it reports whether addr was added. A
// later Add extends, never shortens, an entry.
func (s *Sensor) Add(addr netip.Addr, d time.Duration, now time.Time) bool {
	if s == nil || d == 0 {
		return false
	}
	addr = addr.Unmap().WithZone("")
	var until time.Time // forever
	if d > 0 {
		until = now.Add(d)
	}
	if old, ok := s.m[addr]; ok {
		if old.IsZero() || (!until.IsZero() && !until.After(old)) {
			return true
		}
		s.m[addr] = until
		return true
	}
	if len(s.m) >= s.size {
		s.Sweep(now)
	}
	if len(s.m) >= s.size {
		s.evict()
	}
	s.m[addr] = until
	return true
}

// Denied reports whether addr is on the list at now.
func (s *Sensor) Denied(addr netip.Addr, now time.Time) bool {
	if s == nil || len(s.m) == 0 {
		return false
	}
	addr = addr.Unmap().WithZone("")
	until, ok := s.m[addr]
	if !ok {
		return false
	}
	if !until.IsZero() && !now.Before(until) {
		delete(s.m, addr)
		return false
	}
	return true
}

// Sweep deletes every expired entry.
func (s *Sensor) Sweep(now time.Time) {
	for a, until := range s.m {
		if !until.IsZero() && !now.Before(until) {
			delete(s.m, a)
		}
	}
}

// Len returns the number of entries (expired ones not yet swept included).
func (s *Sensor) Len() int { return len(s.m) }

func (s *Sensor) evict() {
	var victim netip.Addr
	var soonest time.Time
	found := false
	for a, until := range s.m {
		if !found || (soonest.IsZero() && !until.IsZero()) || (!until.IsZero() && until.Before(soonest)) {
			victim, soonest, found = a, until, true
		}
	}
	if found {
		delete(s.m, victim)
	}
}
