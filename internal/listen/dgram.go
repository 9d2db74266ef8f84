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

// QueuedFrom reports whether every datagram queued on the datagram
// socket fd, at most limit of them, came from sender, whose datagram the
// caller has seen first in the queue. It reads nothing: it peeks at each
// in turn (SO_PEEK_OFF) with buf, which must hold the largest datagram
// (64 KiB), and leaves the socket's peek offset off. An error, or more
// than limit datagrams, is a "no". (The kernel's walk passes over an
// empty datagram that was peeked at before: only the first can have been,
// and it is sender's.)
func QueuedFrom(fd int, sender netip.AddrPort, buf []byte, limit int) bool {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PEEK_OFF, 0); err != nil {
		return false
	}
	defer unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PEEK_OFF, -1)
	var from RawAddr
	for i := 0; i <= limit; i++ {
		if _, err := RecvFrom(fd, buf, unix.MSG_PEEK|unix.MSG_DONTWAIT, &from); err != nil {
			return err == unix.EAGAIN
		}
		if from.AddrPort() != sender {
			return false
		}
	}
	return false
}
