package listen

import (
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Seal makes a datagram socket accept no more datagrams: a socket filter
// that drops every one attaches to it. What is already queued stays, for
// whoever reads it. A datagram the kernel would have given the socket
// (one from the peer it is connected to) is dropped instead.
func (s *Socket) Seal() error {
	drop := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}
	prog := unix.SockFprog{Len: uint16(len(drop)), Filter: &drop[0]}
	_, _, errno := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(s.FD), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		uintptr(unsafe.Pointer(&prog)), unsafe.Sizeof(prog), 0)
	if errno != 0 {
		return os.NewSyscallError("setsockopt SO_ATTACH_FILTER", errno)
	}
	return nil
}

// QueuedSenders returns the senders of the datagrams queued on the
// datagram socket fd, in order, and true; or false when more than limit
// are queued or the kernel cannot say. It reads nothing: it peeks at each
// in turn (SO_PEEK_OFF) with buf, which must hold the largest datagram
// (64 KiB), and leaves the socket's peek offset off. The kernel's walk
// passes over an empty datagram that was peeked at before: a caller that
// peeked at an empty first datagram adds its sender itself.
func QueuedSenders(fd int, buf []byte, limit int) ([]netip.AddrPort, bool) {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PEEK_OFF, 0); err != nil {
		return nil, false
	}
	defer unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PEEK_OFF, -1)
	var from RawAddr
	var senders []netip.AddrPort
	for len(senders) <= limit {
		if _, err := RecvFrom(fd, buf, unix.MSG_PEEK|unix.MSG_DONTWAIT, &from); err != nil {
			return senders, err == unix.EAGAIN
		}
		senders = append(senders, from.AddrPort())
	}
	return nil, false
}
