//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// InetdConn returns the connected stream socket on fd 0, for a program run
// by an inetd as a nowait stream service (daemon_inetd in UNIX Network
// Programming: the super-server starts the program with the client on fds
// 0, 1 and 2). It fails if fd 0 is not a socket (ErrNotSocket: started
// from a shell), is a datagram socket, or is a listening socket (the
// service is configured wait: use InetdListener).
//
// The conn is a new descriptor, a dup of fd 0 made by net.FileConn; fd 0
// stays open, and closing the conn does not close it. The client sees the
// connection end only when every descriptor is closed, fds 0, 1 and 2
// included, typically when the program exits; use CloseWrite (on a
// *net.TCPConn or *net.UnixConn) to send EOF earlier. The caller closes
// the conn.
//
// net.FileConn puts the socket in non-blocking mode, and that flag belongs
// to the open file description, which fds 0, 1, 2 and the dup all share:
// after this call, a read or write through os.Stdin, os.Stdout or
// os.Stderr, or by a program this one execs on those fds, may fail with
// EAGAIN instead of waiting. Do all I/O on the socket through the conn.
// (Conversely, os.Stdin.Fd() would make the shared description blocking
// again, under the conn's feet.) The same holds for InetdPacketConn and
// InetdListener.
func InetdConn() (net.Conn, error) {
	if err := checkFD0("inetd conn", unix.SOCK_STREAM, false); err != nil {
		return nil, err
	}
	c, err := net.FileConn(os.Stdin)
	if err != nil {
		return nil, fmt.Errorf("inetd conn: fd 0: %w", err)
	}
	return c, nil
}

// InetdPacketConn returns the datagram socket on fd 0, for a program run by
// an inetd as a dgram service (wait: the service's socket, from which the
// program reads the waiting datagram; nowait in ginetd: a socket connected
// to the client). It fails if fd 0 is not a datagram socket. The conn is
// a non-blocking dup of fd 0, as with InetdConn. The caller closes it.
func InetdPacketConn() (net.PacketConn, error) {
	if err := checkFD0("inetd packet conn", unix.SOCK_DGRAM, false); err != nil {
		return nil, err
	}
	c, err := net.FilePacketConn(os.Stdin)
	if err != nil {
		return nil, fmt.Errorf("inetd packet conn: fd 0: %w", err)
	}
	return c, nil
}

// InetdListener returns the listening socket on fd 0, for a program run by
// an inetd as a wait stream service: it accepts the clients itself, and the
// inetd watches the socket again when the program exits. It fails if fd 0
// is not a listening stream socket. The listener is a non-blocking dup of
// fd 0, as with InetdConn. The caller closes it.
func InetdListener() (net.Listener, error) {
	if err := checkFD0("inetd listener", unix.SOCK_STREAM, true); err != nil {
		return nil, err
	}
	l, err := net.FileListener(os.Stdin)
	if err != nil {
		return nil, fmt.Errorf("inetd listener: fd 0: %w", err)
	}
	return l, nil
}

// ErrNotSocket is wrapped by the Inetd functions' error when fd 0 is not a
// socket, such as when the program is started from a shell.
var ErrNotSocket = errors.New("not a socket")

// checkFD0 fails unless fd 0 is a socket of type typ, listening or not as
// asked; op prefixes the error.
func checkFD0(op string, typ int, listening bool) error {
	want := kindName(typ)
	if listening {
		want = "listening " + want
	}
	kind, lis, err := socketKind(0)
	if err != nil {
		return fmt.Errorf("%s: fd 0: want a %s: %w", op, want, err)
	}
	have := kindName(kind)
	if lis {
		have = "listening " + have
	}
	if kind != typ || lis != listening {
		return fmt.Errorf("%s: fd 0: want a %s, have a %s", op, want, have)
	}
	return nil
}

// socketKind returns the socket type of fd (SOCK_STREAM, SOCK_DGRAM, ...)
// and whether it is listening; ErrNotSocket when fd is not a socket.
func socketKind(fd int) (typ int, listening bool, err error) {
	typ, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if errors.Is(err, unix.ENOTSOCK) {
		return 0, false, ErrNotSocket
	}
	if err != nil {
		return 0, false, fmt.Errorf("getsockopt SO_TYPE: %w", err)
	}
	if typ != unix.SOCK_STREAM && typ != unix.SOCK_SEQPACKET {
		return typ, false, nil
	}
	acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	if err != nil {
		return 0, false, fmt.Errorf("getsockopt SO_ACCEPTCONN: %w", err)
	}
	return typ, acc != 0, nil
}

// kindName names a socket type for messages.
func kindName(typ int) string {
	switch typ {
	case unix.SOCK_STREAM:
		return "stream socket"
	case unix.SOCK_DGRAM:
		return "datagram socket"
	case unix.SOCK_SEQPACKET:
		return "seqpacket socket"
	case unix.SOCK_RAW:
		return "raw socket"
	}
	return fmt.Sprintf("socket of type %d", typ)
}
