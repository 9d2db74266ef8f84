package input

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// rcvbuf is the receive buffer asked for every socket. Root gets it with
// SO_RCVBUFFORCE; others get what net.core.rmem_max allows. (For a unix
// datagram socket the queue is also limited to net.unix.max_dgram_qlen
// datagrams, whatever the buffer.)
const rcvbuf = 8 << 20

// ListenUnix opens the unix datagram socket path, mode 0666, so that every
// local program can log. A stale socket file at path (one nobody receives
// on) is replaced; a live one, or a file that is not a socket, is an error.
func ListenUnix(path string) (*Source, error) {
	if err := removeStale(path); err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: socket: %w", path, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: bind: %w", path, err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		unix.Close(fd)
		os.Remove(path)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	setRcvbuf(fd)
	r := newDgramReader(fd, false)
	closeAndRemove := func() error {
		err := unix.Close(fd)
		if rerr := os.Remove(path); err == nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
		return err
	}
	return &Source{Name: path, Addr: path, fill: r.fill, stop: r.stop, close: closeAndRemove, setLinger: r.setLinger}, nil
}

func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s: exists and is not a socket", path)
	}
	if c, err := net.Dial("unixgram", path); err == nil {
		c.Close()
		return fmt.Errorf("%s: in use by another process", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("%s: removing stale socket: %w", path, err)
	}
	return nil
}

func setRcvbuf(fd int) {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
	}
}

// ListenUDP opens a UDP socket on addr (host:port; port 0 picks one, see
// Source.Addr).
func ListenUDP(addr string) (*Source, error) {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Take a blocking descriptor of our own; the net.Conn is closed.
	rc, err := c.(*net.UDPConn).SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udp %s: %w", addr, err)
	}
	fd := -1
	cerr := rc.Control(func(s uintptr) { fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) })
	if err = errors.Join(cerr, err); err != nil {
		return nil, fmt.Errorf("udp %s: dup: %w", addr, err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("udp %s: %w", addr, err)
	}
	setRcvbuf(fd)
	r := newDgramReader(fd, true)
	return &Source{Name: "udp " + addr, Addr: c.LocalAddr().String(), remote: true,
		fill: r.fill, stop: r.stop, close: func() error { return unix.Close(fd) }, setLinger: r.setLinger}, nil
}
