package access

import "net/netip"

// PerSource counts concurrent connections (children) per source address:
// xinetd per_source, FreeBSD max-child-per-ip. Acquire when a child starts,
// Release when it ends. An address's entry is deleted when its count drops
// to zero, so the table holds only sources with something running.
// Addresses are compared unmapped and without zone.
//
// The zero PerSource is ready to use. It belongs to one goroutine.
type PerSource struct {
	n map[netip.Addr]int32
}

// Acquire takes one slot for addr if it has fewer than max; max <= 0 means
// no limit (the slot is still counted, so Release stays balanced).
func (p *PerSource) Acquire(addr netip.Addr, max int) bool {
	addr = addr.Unmap().WithZone("")
	c := p.n[addr]
	if max > 0 && int(c) >= max {
		return false
	}
	if p.n == nil {
		p.n = make(map[netip.Addr]int32)
	}
	p.n[addr] = c + 1
	return true
}

// Release gives back one slot of addr. It reports false, and changes
// nothing, when addr holds no slot: a double release cannot go negative or
// leak an entry.
func (p *PerSource) Release(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	c, ok := p.n[addr]
	if !ok {
		return false
	}
	if c <= 1 {
		delete(p.n, addr)
	} else {
		p.n[addr] = c - 1
	}
	return true
}

// Count returns the slots addr holds.
func (p *PerSource) Count(addr netip.Addr) int { return int(p.n[addr.Unmap().WithZone("")]) }

// Len returns the number of sources holding a slot.
func (p *PerSource) Len() int { return len(p.n) }
