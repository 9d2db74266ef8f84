package access

import (
	"bytes"
	"strconv"
	"syscall"
	"time"
)

// DefaultLoadavgPath is where Linux publishes the load average.
const DefaultLoadavgPath = "/proc/loadavg"

// Load is xinetd's max_load: a service refuses connections while the
// one-minute load average is at or above max. The file is read at most once
// a second by the clock; between reads, and when a read fails, the last
// value stands (a service whose load cannot be read is never refused for
// load; the error is kept in Err). A nil Load, or max <= 0, never refuses.
//
// It belongs to one goroutine.
type Load struct {
	max   float64
	path  string
	clock Clock
	last  time.Time
	read  bool
	value float64
	err   error
	buf   [128]byte
}

// NewLoad returns the limit for max; path "" means DefaultLoadavgPath and
// clock nil means SystemClock.
func NewLoad(max float64, path string, clock Clock) *Load {
	if path == "" {
		path = DefaultLoadavgPath
	}
	return &Load{max: max, path: path, clock: orSystem(clock)}
}

// Overloaded reports whether the load is at or above max, and the load.
func (l *Load) Overloaded() (bool, float64) {
	if l == nil || l.max <= 0 {
		return false, 0
	}
	if now := l.clock.Now(); !l.read || now.Sub(l.last) >= time.Second || now.Before(l.last) {
		l.last, l.read = now, true
		l.refresh()
	}
	return l.value >= l.max, l.value
}

// Err returns the error of the last read, or nil.
func (l *Load) Err() error { return l.err }

func (l *Load) refresh() {
	fd, err := syscall.Open(l.path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		l.err = err
		return
	}
	n, err := syscall.Read(fd, l.buf[:])
	syscall.Close(fd)
	if err != nil {
		l.err = err
		return
	}
	v, err := parseLoadavg(l.buf[:max(n, 0)])
	if err != nil {
		l.err = err
		return
	}
	l.value, l.err = v, nil
}

// parseLoadavg reads the first field of /proc/loadavg.
func parseLoadavg(b []byte) (float64, error) {
	b = bytes.TrimLeft(b, " \t")
	if i := bytes.IndexAny(b, " \t\n"); i >= 0 {
		b = b[:i]
	}
	return strconv.ParseFloat(string(b), 64)
}
