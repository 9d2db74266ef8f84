package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
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
	cfg        *config.Config // the running configuration; its files are srv's (loader.Acquire)
	pidfile    *daemon.PIDFile
	ctl        *control.Server
	sigs       chan os.Signal // SIGTERM, SIGINT, SIGUSR1, SIGUSR2
	hup        chan os.Signal // SIGHUP
	metrics    io.Closer      // the -metrics server
	reloadDone func(ok bool)  // counts reloads for the metrics
	// serveMetrics opens the -metrics port; set while an upgrade waits
	// for the old ginetd to let go of it.
	serveMetrics func() (io.Closer, error)

	// The loop owns reloads and upgrades; others ask it on reqs.
	reqs      chan request
	upgrading *request           // the upgrade in progress, if any
	upgraded  chan upgradeResult // its outcome
	succ      *successor         // the new ginetd this one hands over to
	// handedTo is succ once handed over, for the control goroutines.
	handedTo atomic.Pointer[successor]
	// upgradeSent: the control client of the successful upgrade has its
	// reply (controlHandler.Finish).
	upgradeSent chan struct{}
}

// request asks the loop to reload, upgrade or stop.
type request struct {
	cmd   string     // "reload", "upgrade" or "stop"
	reply chan error // buffered; nil for a signal's request
	// control: the request comes from a control client. Its upgrade
	// hands over only once the reply has been written to the client
	// (upgradeSent).
	control bool
}

type upgradeResult struct {
	succ *successor
	err  error
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
	srv := &server{flags: f, paths: f.configs(), daemonized: daemonized, up: up,
		reqs: make(chan request), upgraded: make(chan upgradeResult, 1), upgradeSent: make(chan struct{}, 1)}
	// Signals are caught before anything is ready, so that a SIGTERM sent
	// the moment ginetd says "ready" still stops it cleanly. SIGPIPE is
	// caught (not ignored) so that a closed stderr or log reader cannot
	// kill ginetd, while children still start with the default disposition.
	// SIGHUP and SIGPIPE have channels of their own, so that a storm of
	// them, while a reload waits for a file being written, cannot fill the
	// channel and lose a SIGTERM; one pending SIGHUP stands for all those
	// sent before its reload starts.
	srv.sigs = make(chan os.Signal, 8)
	signal.Notify(srv.sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2)
	srv.hup = make(chan os.Signal, 1)
	signal.Notify(srv.hup, syscall.SIGHUP)
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	defer srv.release()
	if code, err := srv.start(); err != nil {
		srv.release() // before the waiting command learns of the failure
		srv.fail(code, err)
		return code
	}
	code := srv.loop()
	if srv.succ != nil {
		return srv.drain()
	}
	return code
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
		if err := srv.claimPIDFile(); err != nil {
			return exitSystem, err
		}
		if err := srv.claimControl(false); err != nil {
			return exitSystem, err
		}
	}
	cfg, probs := srv.flags.load(srv.paths)
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
	srv.acquire(cfg)
	inherited, err := srv.inherited()
	if err != nil {
		return exitSystem, err
	}
	closeInheritedFDs()
	if err := spawn.SetupSIGCHLD(); err != nil {
		return exitSystem, fmt.Errorf("SIGCHLD: %w", err)
	}
	var hosts *access.HostsAccess
	if f.hostsAllow != "none" {
		hosts = access.NewHostsAccess(f.hostsAllow, f.hostsDeny, access.SystemClock{})
		report := func(p config.Problem) { srv.log.Warn("hosts_access", "problem", p.Error()) }
		for _, p := range hosts.Problems() { // the first read's
			report(p)
		}
		hosts.SetReporter(report)
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
	var held map[string][]supervisor.HeldChild
	if srv.up != nil {
		held = srv.up.held
	}
	srv.sup, err = supervisor.New(supervisor.Options{Log: logs.loop, Flush: logs.flush,
		RateInterval: f.rateInterval, Hosts: hosts, Inherited: inherited, Held: held, Observer: obs,
		SyslogPath: f.syslogPath})
	if err != nil {
		return exitSystem, err
	}
	go srv.sup.Run()
	d, err := srv.sup.Apply(cfg)
	if err != nil {
		return exitSystem, err
	}
	srv.cfg = cfg
	for key, s := range inherited { // what no service claimed
		srv.log.Warn("inherited-unused", "key", key, "fd", s.FD)
		s.Close()
	}
	for _, hs := range held {
		for _, h := range hs {
			syscall.Close(h.PidFD)
		}
	}
	if srv.daemonized && len(d.Unbound) > 0 {
		// The command that started the daemon reports the failure; in
		// the foreground (-f, under a supervisor) ginetd keeps retrying.
		srv.sup.Stop()
		return exitSystem, fmt.Errorf("cannot bind: %s", strings.Join(d.Unbound, "; "))
	}
	if srv.up != nil {
		// The pid file names this process from now on: it is ready and
		// its loop will act on a signal (one sent meanwhile waits).
		if err := srv.claimPIDFile(); err != nil {
			srv.sup.Stop()
			return exitSystem, err
		}
	}
	srv.log.Info("ready", "services", len(cfg.Services), "pid", os.Getpid())
	dropStartupPages()
	if srv.up != nil {
		srv.up.report(nil)
	} else {
		daemon.Ready()
	}
	return exitOK, nil
}

// claimPIDFile takes the pid file: a new one, or, in the new ginetd of an
// upgrade, the old ginetd's, renamed over while it still runs.
func (srv *server) claimPIDFile() error {
	f := srv.flags
	switch {
	case srv.daemonized && srv.up == nil:
		srv.pidfile = daemon.DaemonPIDFile()
	case f.pidfile != "" || srv.daemonized && os.Geteuid() == 0:
		path := f.pidfile
		if path == "" {
			path = "/run/ginetd.pid"
		}
		open := daemon.OpenPIDFile
		if srv.up != nil {
			open = daemon.ReplacePIDFile
		}
		pf, err := open(path)
		if err != nil {
			return err
		}
		srv.pidfile = pf
	}
	return nil
}

// claimControl takes the control socket; with replace, from the old
// ginetd of an upgrade, which still holds it (control.Replace).
func (srv *server) claimControl(replace bool) error {
	f := srv.flags
	path := f.controlPath()
	if path == "" {
		return nil
	}
	listen := control.Listen
	if replace {
		listen = control.Replace
	}
	ctl, err := listen(path, controlHandler{srv}, srv.log)
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
// The pid file is removed unless a new ginetd has taken it over.
func (srv *server) release() {
	if srv.metrics != nil {
		srv.metrics.Close()
		srv.metrics = nil
	}
	if srv.ctl != nil {
		if srv.succ != nil {
			srv.ctl.Shutdown(5 * time.Second) // the path is the successor's
		} else {
			srv.ctl.Close()
		}
		srv.ctl = nil
	}
	if srv.pidfile != nil {
		if srv.succ != nil {
			srv.pidfile.Release()
		} else {
			srv.pidfile.Remove()
		}
		srv.pidfile = nil
	}
}

// loop serves signals and requests until ginetd stops. It is the one
// owner of reloads and upgrades: they run one at a time, in the order
// they come, and none while an upgrade is in progress.
func (srv *server) loop() int {
	stopNotify := srv.notifyLoop()
	defer stopNotify()
	var oldGone <-chan struct{}
	handed := make(chan struct{}, 1)
	if srv.up != nil {
		oldGone = srv.readOld(handed)
	}
	for {
		select {
		case <-srv.hup:
			srv.handle(request{cmd: "reload"})
		case sig := <-srv.sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT:
				srv.log.Info("signal", "sig", sig.String())
				return srv.stop()
			case syscall.SIGUSR1:
				srv.dumpState()
			case syscall.SIGUSR2:
				srv.handle(request{cmd: "upgrade"})
			}
		case req := <-srv.reqs:
			if req.cmd == "stop" {
				reply(req, nil)
				return srv.stop()
			}
			srv.handle(req)
		case res := <-srv.upgraded:
			if srv.finishUpgrade(res) {
				return exitOK
			}
		case <-handed:
			srv.takeOver()
		case <-oldGone:
			oldGone = nil
			if !srv.up.handedOver { // an old ginetd of an earlier version
				srv.takeOver()
			}
			srv.log.Info("upgrade", "status", "old ginetd exited", "pid", srv.up.from)
			srv.up = nil
		case <-srv.sup.Done():
			daemon.Stopping()
			return exitOK
		}
	}
}

// stop ends the loop for good: sockets closed, children left running.
func (srv *server) stop() int {
	if srv.upgrading != nil {
		// The new ginetd, ready or not, must not outlive this stop.
		res := <-srv.upgraded
		if res.succ != nil {
			res.succ.conn.Close()
			killNew(res.succ.pidfd)
			if srv.pidfile != nil {
				srv.pidfile.Update(os.Getpid()) // it may have taken the file: take it back, to remove it
			}
		}
		reply(*srv.upgrading, errors.New("ginetd is stopping"))
		srv.upgrading = nil
	}
	daemon.Stopping()
	srv.sup.Stop()
	return exitOK
}

// handle carries out a reload, or starts an upgrade, on the loop.
func (srv *server) handle(req request) {
	switch req.cmd {
	case "reload":
		if srv.upgrading != nil {
			srv.log.Error("reload-failed", "err", errUpgrading)
			reply(req, errUpgrading)
			return
		}
		reply(req, srv.reload())
	case "upgrade":
		var err error
		switch {
		case srv.upgrading != nil:
			err = errUpgrading
		case srv.up != nil && !srv.up.handedOver:
			err = errors.New("the previous ginetd has not handed over yet")
		}
		if err != nil {
			srv.log.Error("upgrade-failed", "err", err)
			reply(req, err)
			return
		}
		h, err := srv.sup.PrepareHandover()
		if err != nil {
			srv.log.Error("upgrade-failed", "err", err)
			reply(req, err)
			return
		}
		srv.upgrading = &req
		go func() {
			succ, err := srv.startNew(h)
			srv.upgraded <- upgradeResult{succ, err}
		}()
	}
}

// finishUpgrade acts on the outcome of the upgrade in progress: it hands
// over to the new ginetd and reports true, or lets this one serve on.
func (srv *server) finishUpgrade(res upgradeResult) bool {
	req := *srv.upgrading
	srv.upgrading = nil
	if res.err != nil {
		srv.sup.CancelHandover()
		if srv.pidfile != nil {
			// The new ginetd may have renamed its pid file over ours.
			if err := srv.pidfile.Update(os.Getpid()); err != nil {
				srv.log.Error("pidfile", "err", err)
			}
		}
		srv.log.Error("upgrade-failed", "err", res.err)
		reply(req, res.err)
		return false
	}
	srv.log.Info("upgrade", "status", "new ginetd ready; handing over")
	reply(req, nil)
	if req.control {
		// Let the control client read its reply before this process
		// stops serving it.
		select {
		case <-srv.upgradeSent:
		case <-time.After(5 * time.Second):
		}
	}
	srv.succ = res.succ
	srv.handedTo.Store(res.succ)
	go res.succ.watch()
	// The -metrics port first, for the new ginetd to open at "handover".
	if srv.metrics != nil {
		srv.metrics.Close()
		srv.metrics = nil
	}
	srv.sup.Handover(func(h supervisor.HeldChild) { srv.succ.handOn(srv.log, h) })
	srv.succ.conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := srv.succ.conn.Write([]byte("handover")); err != nil {
		srv.log.Error("handover", "to", srv.succ.pid, "err", err)
	}
	// The pid file is the new ginetd's already: let go of the lock only.
	if srv.pidfile != nil {
		srv.pidfile.Release()
		srv.pidfile = nil
	}
	// Not STOPPING=1: the service goes on, in the new process. systemd
	// takes this (the main process's) word for the new main pid; the new
	// one confirms with MAINPID= and READY=1.
	daemon.Notify("MAINPID="+strconv.Itoa(res.succ.pid), "STATUS=upgraded: serving as pid "+strconv.Itoa(res.succ.pid))
	return true
}

// drain runs once this ginetd has handed over to a new one: it serves
// the connections it serves itself until they have ended (the supervisor
// then stops) or -drain has passed, and exits. It reloads nothing and
// starts no upgrade: a SIGHUP or SIGUSR2 that reaches it (its pid file
// names the new ginetd) is logged and ignored, and control requests that
// reach it (clients that connected before the new ginetd took the
// socket's path) are refused with the new pid. SIGTERM or SIGINT ends the
// drain at once. Its control socket, which no new client can reach, is
// closed without removing the path, which is the new ginetd's.
func (srv *server) drain() int {
	succ := srv.succ
	t := time.NewTimer(srv.flags.drain)
	defer t.Stop()
	errHanded := fmt.Errorf("this ginetd has handed over to pid %d", succ.pid)
	for {
		select {
		case sig := <-srv.sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT:
				srv.log.Info("drain-end", "reason", "signal", "sig", sig.String())
				srv.sup.Stop()
				return exitOK
			default:
				srv.log.Warn("draining", "sig", sig.String(), "err", errHanded)
			}
		case sig := <-srv.hup:
			srv.log.Warn("draining", "sig", sig.String(), "err", errHanded)
		case req := <-srv.reqs:
			go func() {
				_, err := srv.forward(succ, req.cmd)
				reply(req, err)
			}()
		case <-t.C:
			srv.log.Warn("drain-end", "reason", "timeout", "drain", srv.flags.drain)
			srv.sup.Stop()
			return exitOK
		case <-srv.sup.Done():
			srv.log.Info("drain-end", "reason", "drained")
			// Until the successor has its control socket, this one's
			// clients are forwarded (see forward): wait for that.
			select {
			case <-succ.taken:
			case <-t.C:
			}
			return exitOK
		}
	}
}

// reply answers req, if anyone waits for the answer.
func reply(req request, err error) {
	if req.reply != nil {
		req.reply <- err
	}
}

// request sends a request to the loop and waits for the answer.
func (srv *server) request(cmd string, control bool) error {
	req := request{cmd: cmd, reply: make(chan error, 1), control: control}
	select {
	case srv.reqs <- req:
	case <-srv.sup.Done():
		return supervisor.ErrStopped
	}
	select {
	case err := <-req.reply:
		return err
	case <-srv.sup.Done():
		return supervisor.ErrStopped
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
	cfg, probs := srv.flags.load(srv.paths)
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
	srv.acquire(cfg)
	daemon.Reloading()
	d, err := srv.sup.Apply(cfg)
	daemon.Notify("READY=1", srv.statusLine())
	if err != nil {
		loader.Release(cfg)
		return err
	}
	loader.Release(srv.cfg)
	srv.cfg = cfg
	srv.log.Info("reload", "services", len(cfg.Services), "added", d.Added, "removed", d.Removed, "changed", d.Changed, "took", time.Since(start).Round(time.Microsecond))
	// The old configuration is garbage now: give its memory back to the
	// system rather than keep a heap sized for two configurations.
	debug.FreeOSMemory()
	return nil
}

// acquire opens and creates what running cfg needs besides what Load read
// (log_type files, cgroups: loader.Acquire), off the supervisor's loop,
// and logs what could not be: those services run without it.
func (srv *server) acquire(cfg *config.Config) {
	for _, p := range loader.Acquire(cfg) {
		srv.log.Warn("config", "problem", p.Error())
	}
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
