package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
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
	flags  *flags
	paths  []string
	log    *slog.Logger
	reopen func() error
	sup    *supervisor.Supervisor
}

// serve runs the super-server until SIGTERM/SIGINT or a stop request.
// Without -f or -d it first detaches (daemon.Daemonize): the command the
// user typed exits only once every socket is bound, 0 then, or 1 with the
// start-up error.
func serve(f *flags) int {
	daemonized := !f.foreground
	if daemonized {
		if err := detach(f); err != nil {
			fmt.Fprintln(os.Stderr, "ginetd:", err)
			return exitSystem
		}
	}
	var pidfile *daemon.PIDFile
	if daemonized {
		pidfile = daemon.DaemonPIDFile()
	}
	fail := func(code int, err error) int {
		if pidfile != nil {
			pidfile.Remove() // before the waiting command learns of the failure
			pidfile = nil
		}
		switch {
		case daemonized:
			daemon.Fail(err)
		case code == exitConfig: // FILE:LINE: lines, as check prints them
			fmt.Fprintln(os.Stderr, err)
		default:
			fmt.Fprintln(os.Stderr, "ginetd:", err)
		}
		return code
	}
	log, reopen, err := newLogger(f, daemonized)
	if err != nil {
		return fail(exitUsage, err)
	}
	srv := &server{flags: f, paths: f.configs(), log: log, reopen: reopen}
	if !daemonized && f.pidfile != "" {
		if pidfile, err = daemon.OpenPIDFile(f.pidfile); err != nil {
			return fail(exitSystem, err)
		}
	}
	defer func() {
		if pidfile != nil {
			pidfile.Remove()
		}
	}()
	cfg, probs := loader.Load(srv.paths)
	for _, p := range probs {
		if p.Warning {
			log.Warn("config", "problem", p.Error())
		}
	}
	if probs.HasErrors() {
		if daemonized {
			for _, p := range probs.Errors() {
				log.Error("config", "problem", p.Error())
			}
		}
		return fail(exitConfig, probs.Errors())
	}
	closeInheritedFDs()
	if err := spawn.SetupSIGCHLD(); err != nil {
		return fail(exitSystem, fmt.Errorf("SIGCHLD: %w", err))
	}
	sigs := make(chan os.Signal, 8)
	// SIGPIPE is caught (not ignored) so that a closed stderr or log
	// reader cannot kill ginetd, while children still start with the
	// default disposition.
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGPIPE)
	rate := f.rate
	if rate == 0 {
		rate = -1
	}
	var hosts *access.HostsAccess
	if f.hostsAllow != "none" {
		hosts = access.NewHostsAccess(f.hostsAllow, f.hostsDeny, access.SystemClock{})
		hosts.SetReporter(func(p config.Problem) { log.Warn("hosts_access", "problem", p.Error()) })
	}
	srv.sup, err = supervisor.New(supervisor.Options{Log: log, DefaultRate: rate, RateInterval: f.rateInterval, Hosts: hosts})
	if err != nil {
		return fail(exitSystem, err)
	}
	go srv.sup.Run()
	d, err := srv.sup.Apply(cfg)
	if err != nil {
		return fail(exitSystem, err)
	}
	if daemonized && len(d.Unbound) > 0 {
		// The command that started the daemon reports the failure; in
		// the foreground (-f, under a supervisor) ginetd keeps retrying.
		srv.sup.Stop()
		return fail(exitSystem, fmt.Errorf("cannot bind: %s", strings.Join(d.Unbound, "; ")))
	}
	if path := f.controlPath(); path != "" {
		ctl, err := control.Listen(path, controlHandler{srv})
		switch {
		case err == nil:
			defer ctl.Close()
		case f.control == "":
			// The default socket is taken (another ginetd): run without one.
			log.Warn("control", "err", err)
		default:
			srv.sup.Stop()
			return fail(exitSystem, err)
		}
	}
	log.Info("ready", "services", len(cfg.Services), "pid", os.Getpid())
	daemon.Ready()
	stopNotify := srv.notifyLoop()
	defer stopNotify()
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				srv.reload()
			case syscall.SIGTERM, syscall.SIGINT:
				log.Info("signal", "sig", sig.String())
				daemon.Stopping()
				srv.sup.Stop()
				return exitOK
			case syscall.SIGUSR1:
				srv.dumpState()
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
	if cwd := os.Getenv("GINETD_CWD"); cwd != "" && daemon.IsDaemon() {
		f.absolute(cwd)
	}
	pidfile := f.pidfile
	if pidfile == "" && os.Geteuid() == 0 {
		pidfile = "/run/ginetd.pid"
	}
	cwd, _ := os.Getwd()
	return daemon.Daemonize(daemon.Options{PIDFile: absPath(cwd, pidfile), Umask: -1, Env: []string{"GINETD_CWD=" + cwd}})
}

// reload re-reads every file and applies the result as a whole, or logs
// the errors and keeps the running configuration.
func (srv *server) reload() error {
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
