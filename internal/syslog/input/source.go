package input

import (
	"errors"
	"os"
	"time"
)

// Source is one open input. Run reads it; Stop makes Run drain what is
// queued and return; Close releases it (and removes a unix socket's path).
type Source struct {
	// Name is the path or address, for messages.
	Name string
	// Addr is the bound address (a UDP port 0 resolved), or the path.
	Addr string

	remote    bool
	fill      func(*Batch) error // errStopped once stopped and drained
	stop      func() error
	close     func() error
	setLinger func(time.Duration) // nil: the source does not linger
}

// SetLinger sets how long a reader waits, when its socket is empty, for
// more datagrams before it ends a batch (0, the default: not at all). The
// daemon sets it when some output is fsynced, so that one fdatasync covers
// more messages; it adds at most a few linger periods of latency to a batch.
// It is safe to call while Run runs.
func (s *Source) SetLinger(d time.Duration) {
	if s.setLinger != nil {
		s.setLinger(d)
	}
}

// Run reads the source until it is stopped or closed, calling handle with
// each batch; handle owns the batch until it returns, and Run reads again
// only then. Run returns nil after Stop, or the read error that ended it.
func (s *Source) Run(handle func(*Batch)) error {
	b := newBatch(s.Name, s.remote)
	for {
		b.reset()
		err := s.fill(b)
		if len(b.Msgs) > 0 {
			handle(b)
		}
		if errors.Is(err, errStopped) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// errStopped is what fill returns once the source is stopped and empty.
var errStopped = errors.New("stopped")

// Stop makes Run read what is already queued in the source, hand it over,
// and return. Stop does not wait.
func (s *Source) Stop() { _ = s.stop() }

// Close closes the source; for a unix socket it also removes its path.
// Call it only after Run returned.
func (s *Source) Close() error { return s.close() }
