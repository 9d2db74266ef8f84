package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/ginetd/ginetd/internal/metrics"
	"github.com/ginetd/ginetd/internal/supervisor"
)

// startMetrics serves Prometheus /metrics on -metrics ADDR (SPEC §2, §11).
// It returns the supervisor's observer (supervisor.Options.Observer), the
// function that counts a reload (ok or failed) and the server's closer.
// Without -metrics the observer is nil (the supervisor then records
// nothing), and the reload function and closer do nothing, so the caller
// may call them unconditionally.
func startMetrics(f *flags, log *slog.Logger) (supervisor.Observer, func(ok bool), io.Closer, error) {
	if f.metrics == "" {
		return nil, func(bool) {}, nopCloser{}, nil
	}
	m := metrics.New()
	c, err := metrics.Serve(f.metrics, m, log)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("-metrics: %w", err)
	}
	return m.Observer(), m.ReloadDone, c, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
