package input

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// mmsghdr is struct mmsghdr of recvmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// dgramReader drains a datagram socket with recvmmsg(2).
type dgramReader struct {
	rc    syscall.RawConn
	hdrs  [slots]mmsghdr
	iovs  [slots]unix.Iovec
	names [slots]unix.RawSockaddrAny
	buf   []byte // slots * msg.MaxSize
	named bool   // fill names (UDP)
}

func newDgramReader(c syscall.Conn, named bool) (*dgramReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &dgramReader{rc: rc, named: named, buf: make([]byte, slots*msg.MaxSize)}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.buf[i*msg.MaxSize]
		r.iovs[i].SetLen(msg.MaxSize)
		r.hdrs[i].hdr.Iov = &r.iovs[i]
		r.hdrs[i].hdr.SetIovlen(1)
	}
	return r, nil
}

// fill reads into b: it waits until the socket is readable, then reads
// until it is empty or b is full.
func (r *dgramReader) fill(b *Batch) error {
	var serr error
	err := r.rc.Read(func(fd uintptr) bool {
		for {
			room := b.room()
			if room == 0 {
				return true
			}
			n, err := r.recvmmsg(fd, room)
			if err == unix.EAGAIN {
				return len(b.Msgs) > 0
			}
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				serr = err
				return true
			}
			r.collect(b, n)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

func (r *dgramReader) recvmmsg(fd uintptr, n int) (int, error) {
	for i := range n {
		h := &r.hdrs[i].hdr
		if r.named {
			h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
			h.Namelen = uint32(unsafe.Sizeof(r.names[i]))
		}
		h.Flags = 0
	}
	got, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(n),
		unix.MSG_DONTWAIT|unix.MSG_TRUNC, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(got), nil
}

func (r *dgramReader) collect(b *Batch, n int) {
	now := msg.MakeStamp(time.Now())
	var from []byte
	for i := range n {
		size := int(r.hdrs[i].n)
		p := r.buf[i*msg.MaxSize : i*msg.MaxSize+min(size, msg.MaxSize)]
		if r.named {
			from = sockaddrText(&r.names[i], from[:0])
		}
		b.add(p, size, now, from)
	}
}

// sockaddrText appends the IP address of sa.
func sockaddrText(sa *unix.RawSockaddrAny, dst []byte) []byte {
	switch sa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrFrom4(p.Addr).AppendTo(dst)
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		return netip.AddrFrom16(p.Addr).Unmap().AppendTo(dst)
	}
	return append(dst, '?')
}

// runFill is the loop shared by every source: fill a batch, hand it over,
// wait for Done. It returns nil when ctx is cancelled or the source closed.
func runFill(ctx context.Context, b *Batch, fill func(*Batch) error, out chan<- *Batch) error {
	for {
		b.reset()
		err := fill(b)
		if len(b.Msgs) > 0 {
			select {
			case out <- b:
			case <-ctx.Done():
				return nil
			}
			select {
			case <-b.done:
			case <-ctx.Done():
				return nil
			}
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
	}
}
