package builtin

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// nfsPort is NFS's port, which OpenBSD inetd's dg_badinput refuses too.
const nfsPort = 2049

// BadSource reports whether a datagram from src must be dropped
// unanswered, so that a spoofed source cannot turn a UDP built-in into a
// reflector or into one end of an echo↔chargen loop. It makes the checks
// of OpenBSD inetd's dg_badinput:
//   - a privileged source port (below 1024, where the built-ins
//     themselves live) or NFS's port 2049;
//   - a multicast or unspecified source, and an IPv4 source in 0.0.0.0/8
//     or 255.0.0.0/8;
//   - an IPv4-compatible IPv6 source (::a.b.c.d). An IPv4-mapped one
//     (::ffff:a.b.c.d), which OpenBSD refuses too, is how a dual-stack
//     socket on Linux shows an IPv4 client: it is judged as that IPv4
//     address.
//
// Two differ: a source whose last IPv4 octet is 255 is taken for a
// broadcast address (dg_badinput compares with every interface's
// broadcast address, from getifaddrs per datagram), and a source port in
// extra (the ports of the UDP built-ins configured on this host) is
// refused as well.
func BadSource(src netip.AddrPort, extra []uint16) bool {
	p := src.Port()
	if p < 1024 || p == nfsPort || slices.Contains(extra, p) {
		return true
	}
	a := src.Addr().Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
		return true
	}
	if a.Is4() {
		b := a.As4()
		return b[0] == 0 || b[0] == 255 || b[3] == 255
	}
	// IPv4-compatible: ::/96 but for :: and the loopback ::1, as
	// IN6_IS_ADDR_V4COMPAT.
	b := a.As16()
	return [12]byte(b[:12]) == [12]byte{} && binary.BigEndian.Uint32(b[12:]) > 1
}
