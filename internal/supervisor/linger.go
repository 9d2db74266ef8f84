package supervisor

import (
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const (
	lingerMax  = 64              // refused connections closed gently at once
	lingerTime = 2 * time.Second // how long one may take
	lingerRead = 64 << 10        // bytes read and dropped at most
)

// lingerClose closes a refused connection that has just been sent a
// message (limit_message, banner_fail) so that the client reads it: a
// close with the client's request unread would reset the connection and
// could discard the message. It sends FIN, then reads and drops what the
// client sends until it closes its side, for at most lingerTime, in a
// goroutine (as Apache's lingering close). Past lingerMax at once, it
// drops what has come and closes at once.
func (s *Supervisor) lingerClose(fd int) {
	unix.Shutdown(fd, unix.SHUT_WR)
	if s.lingering.Load() >= lingerMax {
		drain(fd, s.buf)
		unix.Close(fd)
		return
	}
	f := os.NewFile(uintptr(fd), "refused")
	conn, err := net.FileConn(f) // a close-on-exec duplicate in the netpoller
	f.Close()
	if err != nil {
		return
	}
	s.lingering.Add(1)
	s.goHold(1)
	go func() {
		conn.SetReadDeadline(time.Now().Add(lingerTime))
		io.Copy(io.Discard, io.LimitReader(conn, lingerRead))
		conn.Close()
		s.lingering.Add(-1)
		s.goFree(1)
	}()
}

// drain reads and drops what is queued on fd without waiting.
func drain(fd int, buf []byte) {
	for i := 0; i < 4; i++ {
		if n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT); n <= 0 || err != nil {
			return
		}
	}
}
