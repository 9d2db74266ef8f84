package input

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// rcvbuf is the receive buffer asked for every socket. Root gets it with
// SO_RCVBUFFORCE; others get what net.core.rmem_max allows.
const rcvbuf = 8 << 20

// ListenUnix opens the unix datagram socket path, mode 0666, so that every
// local program can log. A stale socket file at path (one nobody receives
// on) is replaced; a live one, or a file that is not a socket, is an error.
func ListenUnix(path string) (*Source, error) {
	if err := removeStale(path); err != nil {
		return nil, err
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	setRcvbuf(c)
	r, err := newDgramReader(c, false)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	closeAndRemove := func() error {
		err := c.Close()
		if rerr := os.Remove(path); err == nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
		return err
	}
	return &Source{Name: path, Addr: path, fill: r.fill, deadline: c.SetReadDeadline, close: closeAndRemove}, nil
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

func setRcvbuf(c syscall.Conn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) != nil {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
		}
	})
}

// ListenUDP opens a UDP socket on addr (host:port; port 0 picks one, see
// Source.Addr).
func ListenUDP(addr string) (*Source, error) {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	uc := c.(*net.UDPConn)
	setRcvbuf(uc)
	r, err := newDgramReader(uc, true)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("udp %s: %w", addr, err)
	}
	return &Source{Name: "udp " + addr, Addr: c.LocalAddr().String(), remote: true,
		fill: r.fill, deadline: c.SetReadDeadline, close: c.Close}, nil
}
