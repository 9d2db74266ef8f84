package main

import (
	"fmt"
	"time"

	"github.com/ginetd/ginetd/daemon"
)

// notifyLoop keeps systemd informed while ginetd runs: STATUS= with live
// counts every few seconds and WATCHDOG=1 at half the interval systemd
// asks for (WATCHDOG_USEC). It returns the function that stops it.
func (srv *server) notifyLoop() (stop func()) {
	if sent, _ := daemon.Notify(srv.statusLine()); !sent {
		return func() {} // not under systemd (or it failed): nothing to keep up
	}
	every := 5 * time.Second
	wd, watchdog := daemon.WatchdogInterval()
	if watchdog && wd/2 < every {
		every = wd / 2
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if watchdog {
					daemon.Watchdog()
				}
				daemon.Notify(srv.statusLine())
			case <-done:
				return
			}
		}
	}()
	return func() { close(done) }
}

// statusLine is the STATUS= line: services, running children, counters.
func (srv *server) statusLine() string {
	rows, err := srv.sup.Status()
	if err != nil {
		return "STATUS=stopping"
	}
	var running int
	var accepted, refused uint64
	for _, r := range rows {
		running += r.Children
		accepted += r.Accepted
		refused += r.Refused
	}
	return fmt.Sprintf("STATUS=%d services, %d running, %d accepted, %d refused", len(rows), running, accepted, refused)
}
