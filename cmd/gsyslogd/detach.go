package main

import (
	"github.com/ginetd/ginetd/daemon"
)

// detach makes the process a daemon unless foreground is set, and holds
// the pid file. In the original process daemon.Daemonize does not return:
// it exits 0 once the daemon calls ready, 1 if it fails.
func detach(foreground bool, pidfile, dir string) (*daemon.PIDFile, error) {
	if foreground {
		if pidfile == "" {
			return nil, nil
		}
		return daemon.OpenPIDFile(pidfile)
	}
	err := daemon.Daemonize(daemon.Options{
		Facility: daemon.Syslog,
		Umask:    0o022,
		PIDFile:  pidfile,
		Env:      []string{dirEnv + "=" + dir},
	})
	if err != nil {
		return nil, err
	}
	return daemon.DaemonPIDFile(), nil
}

// ready tells the original process (or the service manager) that the
// daemon is up.
func ready() { _ = daemon.Ready() }

// fail tells the original process why the daemon could not start.
func fail(err error) { daemon.Fail(err) }
