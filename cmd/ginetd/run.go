package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/ginetd/ginetd/daemon"
	"github.com/ginetd/ginetd/internal/access"
	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/control"
	"github.com/ginetd/ginetd/internal/loader"
	"github.com/ginetd/ginetd/internal/spawn"
	"github.com/ginetd/ginetd/internal/supervisor"
)

// server is a running ginetd: the supervisor plus what drives it.
type server struct {
	flags      *flags
	paths      []string
	daemonized bool
	up         *upgradeChild // set in the new ginetd of a binary upgrade
	log        *slog.Logger
	reopen     func() error
	sup        *supervisor.Supervisor
	pidfile    *daemon.PIDFile
	ctl        *control.Server
	sigs       chan os.Signal
	metrics    io.Closer     // the -metrics server
	reloadDone func(ok bool) // counts reloads for the metrics
	// serveMetrics opens the -metrics port; set while an upgrade waits
	// for the old ginetd to let go of it.
	serveMetrics func() (io.Closer, error)
}

// serve runs the super-server until SIGTERM/SIGINT or a stop request.
// Without -f or -d it first detaches (daemon.Daemonize): the command the
// user typed exits only once every socket is bound, 0 then, or 1 with the
// start-up error. Started by a running ginetd for a binary upgrade, it
// takes over that ginetd's sockets instead (see upgrade.go).
func serve(f *flags) int {
	up, err := upgradeFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ginetd:", err)
		return exitSystem
	}
	if cwd := os.Getenv("GINETD_CWD"); cwd != "" && (daemon.IsDaemon() || up != nil) {
		f.absolute(cwd) // the daemon runs in "/"
	}
	daemonized := !f.foreground
	if daemonized && up == nil {
		if err := detach(f); err != nil {
			fmt.Fprintln(os.Stderr, "ginetd:", err)
			return exitSystem
		}
	}
	srv := &server{flags: f, paths: f.configs(), daemonized: daemonized, up: up}
	// Signals are caught before anything is ready, so that a SIGTERM sent
	// the moment ginetd says "ready" still stops it cleanly. SIGPIPE is
	// caught (not ignored) so that a closed stderr or log reader cannot
	// kill ginetd, while children still start with the default disposition.
	srv.sigs = make(chan os.Signal, 8)
	signal.Notify(srv.sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPIPE)
	defer srv.release()
	if code, err := srv.start(); err != nil {
		srv.release() // before the waiting command learns of the failure
		srv.fail(code, err)
		return code
	}
	return srv.loop()
}

// fail reports a start-up failure where the one who started ginetd looks:
// the old ginetd of an upgrade, the command that daemonized, or stderr.
func (srv *server) fail(code int, err error) {
	switch {
	case srv.up != nil:
		srv.up.report(err)
	case srv.daemonized:
		if srv.log != nil {
			srv.log.Error("start-failed", "err", err)
		}
		daemon.Fail(err)
	case code == exitConfig: // FILE:LINE: lines, as check prints them
		fmt.Fprintln(os.Stderr, err)
	default:
		fmt.Fprintln(os.Stderr, "ginetd:", err)
	}
}

// start brings the server up to ready: logger, configuration, sockets,
// pid file and control socket. On failure it returns the exit code.
func (srv *server) start() (int, error) {
	f := srv.flags
	var err error
	logs, err := newLogger(f, srv.daemonized)
	if err != nil {
		return exitUsage, err
	}
	srv.log, srv.reopen = logs.log, logs.reopen
	if srv.up == nil {
		if err := srv.claim(); err != nil {
			return exitSystem, err
		}
	}
	cfg, probs := loader.Load(srv.paths)
	for _, p := range probs {
		if p.Warning {
			srv.log.Warn("config", "problem", p.Error())
		} else if srv.daemonized {
			srv.log.Error("config", "problem", p.Error())
		}
	}
	if probs.HasErrors() {
		return exitConfig, probs.Errors()
	}
	inherited, err := srv.inherited()
	if err != nil {
		return exitSystem, err
	}
	closeInheritedFDs()
	if err := spawn.SetupSIGCHLD(); err != nil {
		return exitSystem, fmt.Errorf("SIGCHLD: %w", err)
	}
	rate := f.rate
	if rate == 0 {
		rate = -1
	}
	var hosts *access.HostsAccess
	if f.hostsAllow != "none" {
		hosts = access.NewHostsAccess(f.hostsAllow, f.hostsDeny, access.SystemClock{})
		hosts.SetReporter(func(p config.Problem) { srv.log.Warn("hosts_access", "problem", p.Error()) })
	}
	obs, reloadDone, serveMetrics := newMetrics(f, srv.log)
	srv.reloadDone = reloadDone
	if srv.up == nil {
		if srv.metrics, err = serveMetrics(); err != nil {
			return exitSystem, err
		}
	} else {
		srv.serveMetrics = serveMetrics // once the old ginetd has gone
	}
	srv.sup, err = supervisor.New(supervisor.Options{Log: logs.loop, Flush: logs.flush, DefaultRate: rate,
		RateInterval: f.rateInterval, Hosts: hosts, Inherited: inherited, Observer: obs,
		SyslogPath: f.syslogPath})
	if err != nil {
		return exitSystem, err
	}
	go srv.sup.Run()
	d, err := srv.sup.Apply(cfg)
	if err != nil {
		return exitSystem, err
	}
	for key, s := range inherited { // what no service claimed
		srv.log.Warn("inherited-unused", "key", key, "fd", s.FD)
		s.Close()
	}
	if srv.daemonized && len(d.Unbound) > 0 {
		// The command that started the daemon reports the failure; in
		// the foreground (-f, under a supervisor) ginetd keeps retrying.
		srv.sup.Stop()
		return exitSystem, fmt.Errorf("cannot bind: %s", strings.Join(d.Unbound, "; "))
	}
	srv.log.Info("ready", "services", len(cfg.Services), "pid", os.Getpid())
	dropStartupPages()
	if srv.up != nil {
		srv.up.report(nil)
		go srv.up.takeOver(srv)
	} else {
		daemon.Ready()
	}
	return exitOK, nil
}

// claim takes the pid file and the control socket.
func (srv *server) claim() error {
	f := srv.flags
	switch {
	case srv.daemonized && srv.up == nil:
		srv.pidfile = daemon.DaemonPIDFile()
	case f.pidfile != "" || srv.daemonized && os.Geteuid() == 0:
		path := f.pidfile
		if path == "" {
			path = "/run/ginetd.pid"
		}
		pf, err := daemon.OpenPIDFile(path)
		if err != nil {
			return err
		}
		srv.pidfile = pf
	}
	path := f.controlPath()
	if path == "" {
		return nil
	}
	ctl, err := control.Listen(path, controlHandler{srv}, srv.log)
	switch {
	case err == nil:
		srv.ctl = ctl
	case f.control == "":
		// The default socket is taken (another ginetd): run without one.
		srv.log.Warn("control", "err", err)
	default:
		return err
	}
	return nil
}

// release gives up the pid file, the control socket and the metrics port.
func (srv *server) release() {
	if srv.metrics != nil {
		srv.metrics.Close()
		srv.metrics = nil
	}
	if srv.ctl != nil {
		srv.ctl.Close()
		srv.ctl = nil
	}
	if srv.pidfile != nil {
		srv.pidfile.Remove()
		srv.pidfile = nil
	}
}

// loop serves signals until ginetd stops.
func (srv *server) loop() int {
	stopNotify := srv.notifyLoop()
	defer stopNotify()
	for {
		select {
		case sig := <-srv.sigs:
			switch sig {
			case syscall.SIGHUP:
				srv.reload()
			case syscall.SIGTERM, syscall.SIGINT:
				srv.log.Info("signal", "sig", sig.String())
				daemon.Stopping()
				srv.sup.Stop()
				return exitOK
			case syscall.SIGUSR1:
				srv.dumpState()
			case syscall.SIGUSR2:
				go srv.upgrade()
			}
		case <-srv.sup.Done():
			daemon.Stopping()
			return exitOK
		}
	}
}

// detach daemonizes. The daemon runs in "/", so relative paths in the
// command line are resolved against the directory ginetd was started in,
// passed on in GINETD_CWD (which no child sees).
func detach(f *flags) error {
	pidfile := f.pidfile
	if pidfile == "" && os.Geteuid() == 0 {
		pidfile = "/run/ginetd.pid"
	}
	cwd, _ := os.Getwd()
	return daemon.Daemonize(daemon.Options{PIDFile: absPath(cwd, pidfile), Umask: -1, Env: []string{"GINETD_CWD=" + cwd}})
}

// reload re-reads every file and applies the result as a whole, or logs
// the errors and keeps the running configuration.
func (srv *server) reload() (err error) {
	defer func() {
		if srv.reloadDone != nil {
			srv.reloadDone(err == nil)
		}
	}()
	start := time.Now()
	if srv.reopen != nil {
		if err := srv.reopen(); err != nil {
			srv.log.Error("log-reopen", "err", err)
		}
	}
	cfg, probs := loader.Load(srv.paths)
	for _, p := range probs {
		if p.Warning {
			srv.log.Warn("config", "problem", p.Error())
		} else {
			srv.log.Error("config", "problem", p.Error())
		}
	}
	if probs.HasErrors() {
		srv.log.Error("reload-failed", "errors", len(probs.Errors()))
		return probs.Errors()
	}
	daemon.Reloading()
	d, err := srv.sup.Apply(cfg)
	daemon.Notify("READY=1", srv.statusLine())
	if err != nil {
		return err
	}
	srv.log.Info("reload", "services", len(cfg.Services), "added", d.Added, "removed", d.Removed, "changed", d.Changed, "took", time.Since(start).Round(time.Microsecond))
	// The old configuration is garbage now: give its memory back to the
	// system rather than keep a heap sized for two configurations.
	debug.FreeOSMemory()
	return nil
}

// dumpState writes every service's state to the log (SIGUSR1).
func (srv *server) dumpState() {
	rows, err := srv.sup.Status()
	if err != nil {
		return
	}
	for _, r := range rows {
		srv.log.Info("state", "svc", r.Name+"/"+r.Proto, "addr", r.Addr, "state", r.State,
			"children", r.Children, "accepted", r.Accepted, "refused", r.Refused, "failed", r.Failed)
	}
}

// closeInheritedFDs marks every descriptor above stderr close-on-exec, so
// that nothing ginetd inherited from its parent leaks into a child. (Go
// opens its own descriptors close-on-exec already.)
func closeInheritedFDs() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		var fd int
		if _, err := fmt.Sscanf(e.Name(), "%d", &fd); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
