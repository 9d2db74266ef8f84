package access

import (
	"net/netip"
	"time"
)

// DefaultRateTableSize is the PerSourceRate table size when NewPerSourceRate
// is given none.
const DefaultRateTableSize = 4096

// PerSourceExactMax is the largest per-source limit a PerSourceRate counts
// exactly; above it each source's connections are counted in 60 buckets of
// a second (see Window).
const PerSourceExactMax = 64

// RateTableBudget bounds the memory of one PerSourceRate table: the table
// keeps at most RateTableBudget / (the most one source can take) sources,
// fewer than NewPerSourceRate's size when that would exceed it.
const RateTableBudget = 8 << 20

// Sizes on 64-bit platforms, held to the real ones by TestEntryBytes.
const (
	rateEntrySize = 128 // rateEntry
	mapSlotSize   = 192 // its map slot: key, pointer and the map's overhead, growth included
	bucketsSize   = 280 // buckets
	timeSize      = 24  // time.Time, one slot of a ring
)

// entryBytes is what one source can take at most with limit max: its
// entry, its map slot and its window's ring or buckets.
func entryBytes(max int) int {
	if max > PerSourceExactMax {
		return rateEntrySize + mapSlotSize + bucketsSize
	}
	return rateEntrySize + mapSlotSize + max*timeSize
}

// PerSourceRate limits connections per source address per interval (a
// minute for FreeBSD's max-connections-per-ip-per-minute and NetBSD's
// ip_max), counted exactly over a sliding interval like Window.
//
// Memory is bounded, whatever the limit: a source takes at most
// PerSourceExactMax times (1.5 KiB) or 60 buckets, allocated as its
// connections come (FreeBSD's max-connections-per-ip-per-minute of
// 2147483647 costs no more than 65). A source whose last connection is
// older than the interval has nothing left to count and is dropped. The
// table holds at most size sources, and no more than RateTableBudget
// bytes' worth; when it is full, a new source takes the place of the
// source seen least recently, whose history is forgotten. At the cap the
// limit therefore errs towards allowing: a flood from more than size
// distinct addresses within one interval can let an evicted source start
// its count again, but it never refuses a client that is under its limit.
// Entries are recycled, so Allow does not allocate once the table is warm.
//
// It belongs to one goroutine.
type PerSourceRate struct {
	max      int
	interval time.Duration
	size     int
	m        map[netip.Addr]*rateEntry
	// Doubly linked list by last connection, most recent at head.
	head, tail *rateEntry
	free       *rateEntry
}

type rateEntry struct {
	addr       netip.Addr
	last       time.Time
	win        Window
	prev, next *rateEntry
}

// NewPerSourceRate allows max connections per source per interval, keeping
// at most size sources (size <= 0: DefaultRateTableSize), fewer if they
// could take more than RateTableBudget. max <= 0 means no limit.
func NewPerSourceRate(max int, interval time.Duration, size int) *PerSourceRate {
	if size <= 0 {
		size = DefaultRateTableSize
	}
	if max > 0 {
		size = min(size, RateTableBudget/entryBytes(max))
	}
	return &PerSourceRate{max: max, interval: interval, size: size, m: make(map[netip.Addr]*rateEntry)}
}

// Allow records a connection from addr at now and reports whether it is
// within the limit. A refused connection is not counted.
func (r *PerSourceRate) Allow(addr netip.Addr, now time.Time) bool {
	if r == nil || r.max <= 0 {
		return true
	}
	addr = addr.Unmap().WithZone("")
	r.expire(now)
	e := r.m[addr]
	if e == nil {
		e = r.newEntry(addr)
	} else {
		r.unlink(e)
	}
	e.last = now
	r.pushFront(e)
	return e.win.Allow(now)
}

// Next returns when addr may connect again (now if it may now).
func (r *PerSourceRate) Next(addr netip.Addr, now time.Time) time.Time {
	if r == nil {
		return now
	}
	if e := r.m[addr.Unmap().WithZone("")]; e != nil {
		return e.win.Next(now)
	}
	return now
}

// Size returns the most sources the table keeps.
func (r *PerSourceRate) Size() int { return r.size }

// Len returns the number of sources in the table.
func (r *PerSourceRate) Len() int { return len(r.m) }

// expire drops the sources whose last connection is an interval old.
func (r *PerSourceRate) expire(now time.Time) {
	for e := r.tail; e != nil && now.Sub(e.last) >= r.interval; e = r.tail {
		r.drop(e)
	}
}

func (r *PerSourceRate) newEntry(addr netip.Addr) *rateEntry {
	if len(r.m) >= r.size {
		r.drop(r.tail)
	}
	e := r.free
	if e != nil {
		r.free = e.next
		e.next = nil
		e.win.Reset()
	} else {
		e = &rateEntry{win: *newWindow(r.max, r.interval, PerSourceExactMax)}
	}
	e.addr = addr
	r.m[addr] = e
	return e
}

func (r *PerSourceRate) drop(e *rateEntry) {
	r.unlink(e)
	delete(r.m, e.addr)
	e.next = r.free
	r.free = e
}

func (r *PerSourceRate) unlink(e *rateEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		r.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		r.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (r *PerSourceRate) pushFront(e *rateEntry) {
	e.next = r.head
	if r.head != nil {
		r.head.prev = e
	}
	r.head = e
	if r.tail == nil {
		r.tail = e
	}
}
