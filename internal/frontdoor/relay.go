package frontdoor

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// relayBufSize is the copy buffer of each direction. Reads from a
// tls.Conn return one record (at most 16 KiB) at a time; the larger
// buffer lets the child's output go out in full-size records.
const relayBufSize = 32 << 10

var relayBufs = sync.Pool{New: func() any { b := make([]byte, relayBufSize); return &b }}

// ServerConn is the server's side of a relay: our end of a child's
// socketpair (*net.UnixConn) or the connection to a redirect target
// (*net.TCPConn).
type ServerConn interface {
	net.Conn
	CloseWrite() error
	SyscallConn() (syscall.RawConn, error)
}

// halfConn is what the relay reads from and writes to on the client's
// side: the client's socket itself, or a tls.Conn over it.
type halfConn interface {
	io.ReadWriter
	CloseWrite() error
}

// Relay copies bytes both ways between a client and a server until both
// directions are done, passing each end of stream on as a half-close: the
// one byte relay of ginetd, for TLS sessions (Terminate) and redirects
// (StartRelay). It ends when both directions are closed, when the
// server's end is closed altogether (what it sent is delivered first, and
// the client is then read from for at most lingerTime so that a close
// with unread data does not reset the connection under that output), on
// an error on the client's side, or on Abort.
type Relay struct {
	c    net.Conn // the client's socket
	cs   halfConn // c, or a tls.Conn over it
	tls  bool     // cs is a tls.Conn: a close_notify before c's FIN
	uc   ServerConn
	done chan struct{}

	in, out   atomic.Int64 // bytes read from the client, from the server
	abortOnce sync.Once
}

type closeWriter interface{ CloseWrite() error }

// longAgo is a deadline that has passed: setting it wakes every blocked
// read and write with an error, without racing a Close against them.
var longAgo = time.Unix(1, 0)

// StartRelay relays between client and server in two goroutines, and
// closes both when it ends. A client that cannot half-close (no
// CloseWrite) is closed when the server's output ends.
func StartRelay(client net.Conn, server ServerConn) *Relay {
	cs, ok := client.(halfConn)
	if !ok {
		cs = closeOnly{client}
	}
	return startRelay(client, cs, server)
}

// closeOnly is a client connection without CloseWrite: its end of
// output closes it.
type closeOnly struct{ net.Conn }

func (c closeOnly) CloseWrite() error { return c.Conn.Close() }

func startRelay(c net.Conn, cs halfConn, uc ServerConn) *Relay {
	_, isTLS := cs.(*tls.Conn)
	r := &Relay{c: c, cs: cs, tls: isTLS, uc: uc, done: make(chan struct{})}
	inDone := make(chan struct{})
	go r.inbound(inDone)
	go r.outbound(inDone)
	return r
}

// Done is closed when the relay has ended and both connections are
// closed.
func (r *Relay) Done() <-chan struct{} { return r.done }

// Bytes returns the bytes read so far from the client and from the
// server; after Done, the totals (xinetd's TRAFFIC).
func (r *Relay) Bytes() (fromClient, fromServer int64) { return r.in.Load(), r.out.Load() }

// Abort ends the relay at once without a close_notify or half-close, as
// on an error, and returns without waiting for Done.
func (r *Relay) Abort() { r.abort() }

// abort makes every blocked or later read and write on both sides fail.
func (r *Relay) abort() {
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
func (r *Relay) inbound(inDone chan<- struct{}) {
	defer close(inDone)
	buf := relayBufs.Get().(*[]byte)
	rerr, werr := copyStream(r.uc, r.cs, *buf, &r.in)
	if werr != nil && rerr == nil {
		_, rerr = copyStream(io.Discard, r.cs, *buf, nil)
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
// the first error, and says on which side it happened. It adds what it
// reads to *count, if count is not nil.
func copyStream(dst io.Writer, src io.Reader, buf []byte, count *atomic.Int64) (rerr, werr error) {
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if count != nil {
				count.Add(int64(n))
			}
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
func (r *Relay) outbound(inDone <-chan struct{}) {
	defer close(r.done)
	buf := relayBufs.Get().(*[]byte)
	rerr, werr := copyStream(r.cs, r.uc, *buf, &r.out)
	relayBufs.Put(buf)
	if errors.Is(rerr, unix.ECONNRESET) {
		// The child exited with input it never read: a unix socket then
		// reports a reset, but only once all it wrote has been read.
		rerr = nil
	}
	err := errors.Join(rerr, werr)
	if err == nil {
		err = r.cs.CloseWrite()
	}
	if err == nil && r.tls {
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
func (r *Relay) waitHangup() {
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
