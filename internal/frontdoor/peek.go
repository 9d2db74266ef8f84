package frontdoor

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// errEOF means the peer closed its side before a peek could be satisfied.
var errEOF = errors.New("connection closed")

// peeker lets readHeader look at unread input without consuming it.
type peeker interface {
	// peek waits until at least n bytes are unread and returns all it can
	// see (perhaps more than n). If fewer arrive before EOF (errEOF), the
	// deadline or an error, it returns what it saw with the error.
	peek(n int) ([]byte, error)
}

// peekBufSize covers every v1 header and v2 headers with a modest amount
// of TLVs; peek grows the buffer for larger v2 headers (at most 64 KiB).
const peekBufSize = 512

var peekBufs = sync.Pool{New: func() any { b := make([]byte, peekBufSize); return &b }}

// sockPeeker peeks at a socket with recv(MSG_PEEK) through the netpoller.
type sockPeeker struct {
	rc  syscall.RawConn
	buf *[]byte
}

func newSockPeeker(rc syscall.RawConn) *sockPeeker {
	return &sockPeeker{rc: rc, buf: peekBufs.Get().(*[]byte)}
}

func (p *sockPeeker) release() {
	if cap(*p.buf) == peekBufSize {
		peekBufs.Put(p.buf)
	}
	p.buf = nil
}

func (p *sockPeeker) peek(n int) ([]byte, error) {
	if n > len(*p.buf) {
		nb := make([]byte, n)
		p.buf = &nb
	}
	buf := *p.buf
	var got int
	var eof bool
	var serr error
	err := p.rc.Read(func(fd uintptr) bool {
		got, serr = peekOnce(int(fd), buf)
		switch {
		case serr != nil:
			got = 0
			return true
		case got == 0: // recv returned 0: the peer closed and nothing is queued
			eof = true
			return true
		case got >= n:
			return true
		case got < 0: // nothing queued yet
			got = 0
			return false
		}
		// Some but not enough. If the peer has shut down its side, no more
		// will come and the netpoller will not wake us again: look once
		// more (all data sent before the FIN is queued by now) and stop.
		if hungUp(int(fd)) {
			if got, serr = peekOnce(int(fd), buf); got < 0 {
				got = 0
			}
			eof = true
			return true
		}
		return false
	})
	switch {
	case err != nil:
		return buf[:got], err
	case serr != nil:
		return buf[:got], serr
	case got < n && eof:
		return buf[:got], errEOF
	}
	return buf[:got], nil
}

// peekOnce copies the queued bytes into buf without consuming them and
// returns their number (up to len(buf)): 0 at EOF, -1 if none are queued.
func peekOnce(fd int, buf []byte) (int, error) {
	for {
		n, _, err := unix.Recvfrom(fd, buf, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return -1, nil
		}
		return 0, err
	}
}

// hungUp reports whether the peer of fd has shut down its writing side.
func hungUp(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLRDHUP}}
	for {
		n, err := unix.Poll(pfd, 0)
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0 && pfd[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
	}
}

// discard consumes exactly n bytes that peek has already seen.
func (p *sockPeeker) discard(r io.Reader, n int) error {
	buf := *p.buf
	if n > len(buf) {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(r, buf[:n]); err != nil {
		return fmt.Errorf("consume header: %w", err)
	}
	return nil
}
