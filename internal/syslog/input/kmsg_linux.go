package input

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// OpenKmsg opens the kernel log device path (/dev/kmsg) positioned after
// its last record: the kernel's older messages (dmesg) are not logged
// again at each start.
func OpenKmsg(path string) (*Source, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	k := &kmsgReader{rc: rc, buf: make([]byte, msg.MaxSize)}
	stop := func() error { return f.SetReadDeadline(time.Now()) }
	return &Source{Name: path, Addr: path, fill: k.fill, stop: stop, close: f.Close}, nil
}

type kmsgReader struct {
	rc  syscall.RawConn
	buf []byte
}

// fill reads records until none is left: each read(2) returns one record.
// EPIPE means records were overwritten before we read them; the next read
// continues with the oldest one left.
func (k *kmsgReader) fill(b *Batch) error {
	var serr error
	err := k.rc.Read(func(fd uintptr) bool {
		for b.room() > 0 {
			n, err := unix.Read(int(fd), k.buf)
			switch {
			case err == unix.EAGAIN:
				return len(b.Msgs) > 0
			case err == unix.EINTR || err == unix.EPIPE:
				continue
			case err != nil:
				serr = err
				return true
			case n == 0:
				return true
			}
			m := msg.ParseKmsg(b.keep(k.buf[:n]), msg.MakeStamp(time.Now()))
			b.Msgs = append(b.Msgs, m)
		}
		return true
	})
	if err != nil {
		return err
	}
	return serr
}
