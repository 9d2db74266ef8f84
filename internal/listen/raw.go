package listen

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw system calls for the per-connection path. x/sys's Accept4 and
// Recvfrom ask the kernel for the socket's protocol (getsockopt) on every
// call to build their Sockaddr; these decode the kernel's address
// directly into a netip.AddrPort, with no extra call and no allocation.

// RawAddr is a kernel socket address as received, reusable for a reply.
type RawAddr struct {
	sa  unix.RawSockaddrAny
	len uint32
}

// AddrPort decodes a; IPv4-mapped IPv6 addresses are shown as IPv4.
func (a *RawAddr) AddrPort() netip.AddrPort {
	switch a.sa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(&a.sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&p.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(p.Addr), port)
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(&a.sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&p.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom16(p.Addr).Unmap(), port)
	}
	return netip.AddrPort{}
}

// Accept accepts a connection on the listening socket fd with accept4
// flags, returning the new descriptor and the peer.
func Accept(fd, flags int) (int, netip.AddrPort, error) {
	var a RawAddr
	a.len = unix.SizeofSockaddrAny
	for {
		nfd, _, errno := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&a.sa)), uintptr(unsafe.Pointer(&a.len)), uintptr(flags), 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return -1, netip.AddrPort{}, errno
		}
		return int(nfd), a.AddrPort(), nil
	}
}

// RecvFrom reads one datagram into buf and records its sender in from.
func RecvFrom(fd int, buf []byte, flags int, from *RawAddr) (int, error) {
	from.len = unix.SizeofSockaddrAny
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(p), uintptr(len(buf)), uintptr(flags), uintptr(unsafe.Pointer(&from.sa)), uintptr(unsafe.Pointer(&from.len)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// SendTo sends buf as one datagram to the address in to.
func SendTo(fd int, buf []byte, flags int, to *RawAddr) error {
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	_, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(p), uintptr(len(buf)), uintptr(flags), uintptr(unsafe.Pointer(&to.sa)), uintptr(to.len))
	if errno != 0 {
		return errno
	}
	return nil
}
