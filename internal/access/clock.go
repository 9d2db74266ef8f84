package access

import "time"

// Clock is the time source of every limit in this package. The supervisor
// passes SystemClock; tests pass a fake clock and never sleep.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real Clock: time.Now.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// orSystem returns c, or SystemClock when c is nil.
func orSystem(c Clock) Clock {
	if c == nil {
		return SystemClock{}
	}
	return c
}
