package listen

import (
	"errors"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Every descriptor ginetd holds is close-on-exec from the moment it
// exists: children are started from the loop while goroutines (the front
// door, tcpmux, redirects) create descriptors, and a descriptor that is
// close-on-exec only one system call after its birth can be inherited by
// a child started in between (docs/ginetd.8, CHILDREN).

// DupCloexec returns a duplicate of fd numbered 3 or above that is
// close-on-exec from birth (fcntl F_DUPFD_CLOEXEC).
func DupCloexec(fd int) (int, error) {
	for {
		nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err)
		}
		return nfd, nil
	}
}

// TakeConn turns an open connection into a descriptor for a child, the
// way the accept path gives one: a blocking, close-on-exec duplicate of
// the connection's socket, which the caller owns. c is closed either way.
// Any connection on a socket works (TCP, unix stream).
func TakeConn(c net.Conn) (int, error) {
	defer c.Close()
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, errors.New("connection has no descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) { fd, derr = DupCloexec(int(s)) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	// O_NONBLOCK belongs to the open file description, which c shares
	// until it is closed just below: c is not used again.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl", err)
	}
	return fd, nil
}
