package input

import (
	"net/netip"
	"sync/atomic"
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

// dgramReader drains a blocking datagram socket with recvmmsg(2). Its
// goroutine waits blocked in the kernel, outside Go's netpoller (the
// runtime gives its thread's P to others meanwhile): the kernel wakes the
// thread directly when a datagram arrives, with no epoll round and no
// goroutine wakeup.
// Stop is shutdown(2) SHUT_RD: the kernel then returns what is queued, then
// zero messages.
type dgramReader struct {
	fd    int
	hdrs  [slots]mmsghdr
	iovs  [slots]unix.Iovec
	names [slots]unix.RawSockaddrAny
	buf   []byte // slots * msg.MaxSize
	named bool   // fill names (UDP)
	// stopped is set by stop: from then on an empty datagram is the end
	// of the stream (recvmmsg counts shutdown's EOF as one).
	stopped atomic.Bool
	linger  atomic.Int64 // time.Duration; see Source.SetLinger
}

func newDgramReader(fd int, named bool) *dgramReader {
	r := &dgramReader{fd: fd, named: named, buf: make([]byte, slots*msg.MaxSize)}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.buf[i*msg.MaxSize]
		r.iovs[i].SetLen(msg.MaxSize)
		r.hdrs[i].hdr.Iov = &r.iovs[i]
		r.hdrs[i].hdr.SetIovlen(1)
	}
	return r
}

// fill waits for at least one datagram, then reads until the socket is
// empty or b is full. With a linger (see Source.SetLinger), an empty
// socket is given up to maxLingers more chances of linger each before the
// batch ends: group commit, so that one fdatasync covers more messages.
func (r *dgramReader) fill(b *Batch) error {
	flags := unix.MSG_WAITFORONE
	lingers := 0
	for {
		room := b.room()
		if room == 0 {
			return nil
		}
		n, err := r.recvmmsg(room, flags)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if lingers < maxLingers && r.wait() {
				lingers++
				continue
			}
			return nil
		case err != nil:
			return err
		case n == 0:
			return errStopped
		}
		if !r.collect(b, n) {
			return errStopped
		}
		flags = unix.MSG_DONTWAIT
	}
}

// maxLingers bounds the waits of one batch: with the 100 µs linger the
// daemon uses, a batch is delayed by at most ~3 ms. (8 gave ~60k msg/s
// with fsync in the benchmark, 32 ~250k, 128 ~280k.)
const maxLingers = 32

// wait waits up to the linger for the socket to become readable.
func (r *dgramReader) wait() bool {
	d := time.Duration(r.linger.Load())
	if d <= 0 || r.stopped.Load() {
		return false
	}
	fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
	ts := unix.NsecToTimespec(d.Nanoseconds())
	n, err := unix.Ppoll(fds, &ts, nil)
	return err == nil && n > 0
}

func (r *dgramReader) recvmmsg(n, flags int) (int, error) {
	for i := range n {
		h := &r.hdrs[i].hdr
		if r.named {
			h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
			h.Namelen = uint32(unsafe.Sizeof(r.names[i]))
		}
		h.Flags = 0
	}
	got, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(n),
		uintptr(flags|unix.MSG_TRUNC), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(got), nil
}

// collect adds the n datagrams read; it reports false at the end of the
// stream.
func (r *dgramReader) collect(b *Batch, n int) bool {
	now := msg.MakeStamp(time.Now())
	var from []byte
	for i := range n {
		size := int(r.hdrs[i].n)
		if size == 0 && r.stopped.Load() {
			return false
		}
		p := r.buf[i*msg.MaxSize : i*msg.MaxSize+min(size, msg.MaxSize)]
		if r.named {
			from = sockaddrText(&r.names[i], from[:0])
		}
		b.add(p, size, now, from)
	}
	return true
}

func (r *dgramReader) stop() error {
	r.stopped.Store(true)
	return unix.Shutdown(r.fd, unix.SHUT_RD)
}

func (r *dgramReader) setLinger(d time.Duration) { r.linger.Store(int64(d)) }

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
