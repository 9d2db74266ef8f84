package builtin

import (
	"math/rand/v2"
	"net/netip"
	"time"
)

// wellKnown are the standard built-in ports, never answered (RFC 862-868
// loops: a spoofed echo to chargen would bounce forever).
var wellKnown = [...]uint16{7, 9, 13, 19, 37}

// BadSource reports whether a datagram from src must be dropped unanswered:
// a privileged source port (below 1024, where the built-ins themselves
// live), a built-in port in extra (ports of UDP built-ins configured on
// this host), a multicast, broadcast or unspecified source. It is OpenBSD
// inetd's dg_badinput.
func BadSource(src netip.AddrPort, extra []uint16) bool {
	p := src.Port()
	if p < 1024 {
		return true
	}
	for _, w := range wellKnown {
		if p == w {
			return true
		}
	}
	for _, w := range extra {
		if p == w {
			return true
		}
	}
	a := src.Addr().Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
		return true
	}
	if a.Is4() && a.As4()[3] == 255 {
		return true // most likely a broadcast address
	}
	return false
}

// Reply appends to out the answer of the datagram built-in name to req and
// reports whether there is one to send (discard never answers).
func Reply(name string, req []byte, out []byte) ([]byte, bool) {
	switch name {
	case "echo":
		return append(out, req...), true
	case "daytime":
		return append(out, daytimeNow()...), true
	case "time":
		return append(out, Time(time.Now())...), true
	case "chargen":
		// RFC 864: a datagram of a random number (0 to 512) of characters;
		// like the BSDs, send one line from a rotating start.
		return ChargenLine(out, rand.IntN(len(Ring))), true
	}
	return out, false
}
