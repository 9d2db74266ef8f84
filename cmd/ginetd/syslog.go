package main

import (
	"log/slog"
	"os"

	"github.com/ginetd/ginetd/daemon"
)

// syslogHandler logs through daemon's RFC 3164 handler as ginetd[PID].
// It never waits (NoWait): a line the syslog socket does not take at once
// is dropped and counted, so that a stopped or slow syslog daemon never
// holds up the supervisor's loop; see LOGGING in docs/ginetd.8.
func syslogHandler(f *flags, level slog.Level) (slog.Handler, error) {
	fac, err := daemon.ParseFacility(f.facility)
	if err != nil {
		return nil, err
	}
	opts := daemon.LogOptions{PID: true, NDelay: true, NoWait: true, Path: f.syslogPath, Level: level}
	if f.foreground {
		opts.Notice = os.Stderr // an outage is said once; a daemon's stderr is /dev/null
	}
	return daemon.NewSyslogHandler("ginetd", fac, opts), nil
}
