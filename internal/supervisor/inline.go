package supervisor

import (
	"bytes"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// Stream built-ins of mode builtin.Loop, which only answer what they read
// (echo, discard), run on the loop itself, on the raw non-blocking socket
// in the epoll set: no goroutine, no net.Conn (which costs a dozen system
// calls per connection), no thread hand-off. Each connection is a small
// state machine: read what is there, write back the built-in's answer to
// it, and wait for the socket to become writable only when the client
// does not keep up.

// inlineConn is one connection of a Loop built-in.
type inlineConn struct {
	fd      int
	svc     *service
	peer    netip.AddrPort
	reply   func(out, in []byte) ([]byte, bool) // the built-in's Reply
	pending []byte                              // answer bytes the client has not taken yet (nil when all went out)
	last    time.Time
	started time.Time
	timer   *timer // the idle/lifetime deadline, cancelled at close
	closed  bool
}

// startInline takes an accepted connection of a Loop built-in.
// The accept loop made fd non-blocking; one from the front door may not be.
func (s *Supervisor) startInline(svc *service, fd int, peer netip.AddrPort) {
	if err := unix.SetNonblock(fd, true); err != nil { // F_GETFL only when it is
		unix.Close(fd)
		return
	}
	now := s.clock.Now()
	c := &inlineConn{fd: fd, svc: svc, peer: peer, reply: svc.bi.Reply, last: now, started: now}
	s.acquire(svc, peer.Addr())
	s.log.Debug("accept", "svc", svc.label(), "peer", addrString(peer), "builtin", svc.bi.Name)
	s.watchFD(fd, watch{conn: c})
	s.inlineTimer(c)
	s.inlineRead(c) // data may have come with the connection
}

// inlineEvent handles readiness of an inline connection.
func (s *Supervisor) inlineEvent(c *inlineConn, events uint32) {
	if len(c.pending) > 0 {
		s.inlineFlush(c)
		return
	}
	s.inlineRead(c)
}

func (s *Supervisor) inlineRead(c *inlineConn) {
	for i := 0; i < 16 && !c.closed; i++ {
		n, err := unix.Read(c.fd, s.buf)
		switch {
		case err == unix.EAGAIN:
			return
		case err == unix.EINTR:
			continue
		case err != nil || n == 0: // error or EOF: done
			s.inlineClose(c)
			return
		}
		c.last = s.clock.Now()
		out, ok := c.reply(s.out[:0], s.buf[:n])
		s.out = out
		if ok && len(out) > 0 && !s.inlineWrite(c, out) {
			return // waiting for the client to read
		}
	}
}

// inlineWrite writes a reply built in the loop's scratch buffer; it
// reports whether all went out. What the client does not take now is
// copied to c.pending, and the connection waits for writability instead
// of reading more (the client's own flow control): a connection holds
// memory only while its client is not reading, and at most one reply's
// remainder (a reply answers one read of at most len(s.buf) bytes).
func (s *Supervisor) inlineWrite(c *inlineConn, b []byte) bool {
	rest, err := writeNonblock(c.fd, b)
	switch {
	case err != nil:
		s.inlineClose(c)
		return false
	case len(rest) > 0:
		c.pending = bytes.Clone(rest)
		s.p.mod(c.fd, unix.EPOLLOUT)
		return false
	}
	return true
}

// inlineFlush writes c.pending once the client reads again; when all is
// out, the pending copy is let go and the connection reads again.
func (s *Supervisor) inlineFlush(c *inlineConn) {
	rest, err := writeNonblock(c.fd, c.pending)
	switch {
	case err != nil:
		s.inlineClose(c)
	case len(rest) > 0:
		c.pending = rest
	default:
		c.pending = nil
		s.p.mod(c.fd, unix.EPOLLIN)
	}
}

// writeNonblock writes b to the non-blocking fd until it is all out or
// the socket is full, and returns what is left.
func writeNonblock(fd int, b []byte) ([]byte, error) {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		switch err {
		case nil:
			b = b[n:]
		case unix.EINTR:
		case unix.EAGAIN:
			return b, nil
		default:
			return b, err
		}
	}
	return b, nil
}

// inlineTimer enforces the idle deadline and max_lifetime.
func (s *Supervisor) inlineTimer(c *inlineConn) {
	idle := s.opts.Idle
	at := c.last.Add(idle)
	if d := c.svc.cfg.MaxLifetime; d > 0 && c.started.Add(d).Before(at) {
		at = c.started.Add(d)
	}
	c.timer = s.after(at, func() {
		if c.closed {
			return
		}
		now := s.clock.Now()
		if d := c.svc.cfg.MaxLifetime; d > 0 && !now.Before(c.started.Add(d)) {
			s.log.Warn("lifetime", "svc", c.svc.label(), "peer", addrString(c.peer), "max", d)
			s.inlineClose(c)
			return
		}
		if now.Sub(c.last) >= idle {
			s.inlineClose(c)
			return
		}
		s.inlineTimer(c)
	})
}

func (s *Supervisor) inlineClose(c *inlineConn) {
	if c.closed {
		return
	}
	c.closed = true
	s.cancel(c.timer)
	s.unwatchFD(c.fd)
	unix.Close(c.fd)
	s.release(c.svc, c.peer.Addr())
}
