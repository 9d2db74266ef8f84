package frontdoor

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// relayBufSize is the copy buffer of each direction. Reads from a
// tls.Conn return one record (at most 16 KiB) at a time; the larger
// buffer lets the child's output go out in full-size records.
const relayBufSize = 32 << 10

var relayBufs = sync.Pool{New: func() any { b := make([]byte, relayBufSize); return &b }}

// relay copies between a TLS connection and our end of the child's
// socketpair.
type relay struct {
	c    net.Conn // the client's socket, under tc
	tc   *tls.Conn
	uc   *net.UnixConn
	done chan struct{}

	abortOnce sync.Once
}

type closeWriter interface{ CloseWrite() error }

// longAgo is a deadline that has passed: setting it wakes every blocked
// read and write with an error, without racing a Close against them.
var longAgo = time.Unix(1, 0)

func startRelay(c net.Conn, tc *tls.Conn, uc *net.UnixConn) *relay {
	r := &relay{c: c, tc: tc, uc: uc, done: make(chan struct{})}
	inDone := make(chan struct{})
	go r.inbound(inDone)
	go r.outbound(inDone)
	return r
}

// abort makes every blocked or later read and write on both sides fail.
func (r *relay) abort() {
	r.abortOnce.Do(func() {
		r.c.SetDeadline(longAgo)
		r.uc.SetDeadline(longAgo)
	})
}

// inbound copies client to child. At the client's close_notify or FIN the
// child reads EOF. An error on the client's side aborts the whole relay;
// a failed write to the child (its end is closed) only stops this
// direction, so that outbound still delivers the child's last output.
//
// Once the child's end is closed, what the client still sends is read and
// dropped rather than left unread: closing a TCP socket with unread data
// makes the kernel send a reset, which can destroy the child's last output
// still on its way to the client. outbound bounds this with lingerTime.
func (r *relay) inbound(inDone chan<- struct{}) {
	defer close(inDone)
	buf := relayBufs.Get().(*[]byte)
	rerr, werr := copyStream(r.uc, r.tc, *buf)
	if werr != nil && rerr == nil {
		_, rerr = copyStream(io.Discard, r.tc, *buf)
	}
	relayBufs.Put(buf)
	if rerr != nil && !errors.Is(rerr, os.ErrDeadlineExceeded) {
		r.abort()
	}
	r.uc.CloseWrite()
}

// lingerTime bounds how long a client that keeps sending after the child
// has gone is read from before its connection is closed.
const lingerTime = 2 * time.Second

// copyStream copies src to dst until EOF (rerr == nil, werr == nil) or
// the first error, and says on which side it happened.
func copyStream(dst io.Writer, src io.Reader, buf []byte) (rerr, werr error) {
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return nil, err
			}
		}
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}

// outbound copies child to client, then closes everything once inbound
// has finished too. When the child shuts down its output (or exits) the
// client gets close_notify and FIN; the client may still send until the
// child's end is closed altogether.
func (r *relay) outbound(inDone <-chan struct{}) {
	defer close(r.done)
	buf := relayBufs.Get().(*[]byte)
	rerr, werr := copyStream(r.tc, r.uc, *buf)
	relayBufs.Put(buf)
	if errors.Is(rerr, unix.ECONNRESET) {
		// The child exited with input it never read: a unix socket then
		// reports a reset, but only once all it wrote has been read.
		rerr = nil
	}
	err := errors.Join(rerr, werr)
	if err == nil {
		err = r.tc.CloseWrite()
	}
	if err == nil {
		if cw, ok := r.c.(closeWriter); ok {
			err = cw.CloseWrite()
		}
	}
	if err == nil {
		r.waitHangup()
		// The child's end is gone: nothing the client sends can be
		// delivered any more. Give the client lingerTime to take what
		// is on its way and close, reading what it sends meanwhile.
		r.c.SetReadDeadline(time.Now().Add(lingerTime))
		r.uc.SetDeadline(longAgo)
	} else {
		r.abort() // something failed: stop reading from the client
	}
	<-inDone
	r.uc.Close()
	r.c.Close()
}

// waitHangup waits in the netpoller until our end of the socketpair
// reports POLLHUP: the child's end is closed, or both directions are shut
// down. It also returns when the relay is aborted.
func (r *relay) waitHangup() {
	rc, err := r.uc.SyscallConn()
	if err != nil {
		return
	}
	rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLRDHUP}}
		for {
			n, err := unix.Poll(pfd, 0)
			if err == unix.EINTR {
				continue
			}
			return err != nil || (n > 0 && pfd[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0)
		}
	})
}
