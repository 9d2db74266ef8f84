package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/ginetd/ginetd/internal/metrics"
	"github.com/ginetd/ginetd/internal/supervisor"
)

// newMetrics prepares Prometheus /metrics on -metrics ADDR (ginetd(8): -metrics):
// it returns the supervisor's observer (nil without -metrics), the
// function that counts a reload, and the function that opens the port —
// separate, so that the new ginetd of an upgrade opens it only once the
// old one has let it go.
func newMetrics(f *flags, log *slog.Logger) (supervisor.Observer, func(ok bool), func() (io.Closer, error)) {
	if f.metrics == "" {
		return nil, func(bool) {}, func() (io.Closer, error) { return nopCloser{}, nil }
	}
	m := metrics.New()
	serve := func() (io.Closer, error) {
		c, err := metrics.Serve(f.metrics, m, log)
		if err != nil {
			return nil, fmt.Errorf("-metrics: %w", err)
		}
		return c, nil
	}
	return m.Observer(), m.ReloadDone, serve
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
