package main

import (
	"log/slog"

	"github.com/ginetd/ginetd/daemon"
)

// syslogHandler logs through daemon's RFC 3164 handler as ginetd[PID],
// never blocking the supervisor when no syslog daemon listens.
func syslogHandler(f *flags, level slog.Level) (slog.Handler, error) {
	fac, err := daemon.ParseFacility(f.facility)
	if err != nil {
		return nil, err
	}
	return daemon.NewSyslogHandler("ginetd", fac, daemon.LogOptions{
		PID: true, NDelay: true, Path: f.syslogPath, Level: level,
	}), nil
}
