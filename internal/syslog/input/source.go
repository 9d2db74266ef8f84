package input

import (
	"context"
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

	remote   bool
	fill     func(*Batch) error
	deadline func(time.Time) error
	close    func() error
}

// Run reads the source until it is stopped or closed, handing batches to
// out and waiting for each one's Done. It returns nil after Stop or Close,
// or the read error that ended it.
func (s *Source) Run(ctx context.Context, out chan<- *Batch) error {
	b := newBatch(s.Name, s.remote)
	err := runFill(ctx, b, s.fill, out)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	return err
}

// Stop makes Run read what is already queued in the source, hand it over,
// and return. Stop does not wait.
func (s *Source) Stop() { _ = s.deadline(time.Now()) }

// Close closes the source; for a unix socket it also removes its path.
func (s *Source) Close() error { return s.close() }
