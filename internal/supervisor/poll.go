package supervisor

import (
	"os"

	"golang.org/x/sys/unix"
)

// poller is the loop's epoll set plus the eventfd that wakes it.
type poller struct {
	ep   int
	wake int
}

func newPoller() (*poller, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(ep)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &poller{ep: ep, wake: wake}
	if err := p.add(wake); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *poller) add(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(p.ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// mod changes what fd is watched for (EPOLLIN or EPOLLOUT).
func (p *poller) mod(fd int, events uint32) {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	unix.EpollCtl(p.ep, unix.EPOLL_CTL_MOD, fd, &ev)
}

func (p *poller) del(fd int) {
	unix.EpollCtl(p.ep, unix.EPOLL_CTL_DEL, fd, nil)
}

// wait blocks for at most msec milliseconds (-1: forever).
func (p *poller) wait(evs []unix.EpollEvent, msec int) int {
	n, err := unix.EpollWait(p.ep, evs, msec)
	if err != nil {
		return 0 // EINTR
	}
	return n
}

// poke wakes the loop; safe from any goroutine.
func (p *poller) poke() {
	var one = [8]byte{1}
	unix.Write(p.wake, one[:])
}

func (p *poller) drain() {
	var b [8]byte
	unix.Read(p.wake, b[:])
}

func (p *poller) close() {
	unix.Close(p.wake)
	unix.Close(p.ep)
}
