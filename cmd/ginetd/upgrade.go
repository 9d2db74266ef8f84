package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/daemon"
	"github.com/ginetd/ginetd/internal/listen"
	"github.com/ginetd/ginetd/internal/supervisor"
)

// A binary upgrade (SIGUSR2, `ginetd upgrade`) starts the binary now on
// disk with the same arguments and every service socket inherited: fd 3 is
// one end of a socket pair with the old ginetd, fds 4... the sockets, named
// in order by GINETD_UPGRADE_KEYS, then the pidfds of the children still
// serving a wait service's socket, named "KEY<tab>PID" by
// GINETD_UPGRADE_HELD (see supervisor.Handoff). Before it starts the new
// one, the old ginetd stops starting children on wait services.
//
// The new ginetd validates its configuration, takes the sockets whose keys
// its services have, renames its pid file over the old one, and writes
// "ok" (or the error) on fd 3. Only then does the old one stop accepting,
// tell systemd the new main pid, and exit, leaving its children running;
// if the new one fails, the old one kills it (through its pidfd), keeps
// serving and logs why. The new ginetd sees the old one's exit as the end
// of fd 3, then takes the control socket and the -metrics port and tells
// systemd MAINPID= and READY=1.
//
// One goroutine owns reloads and upgrades: the signal loop (server.loop).
// Control clients send it requests; an upgrade in progress refuses others.
const (
	envUpgradeKeys = "GINETD_UPGRADE_KEYS"
	envUpgradeHeld = "GINETD_UPGRADE_HELD"
	envUpgradeFrom = "GINETD_UPGRADE_FROM"
	upgradeConnFD  = 3
	upgradeTimeout = 30 * time.Second
)

// exePath is the binary ginetd was started from; an upgrade runs what is
// at that path now.
var exePath, _ = os.Executable()

// successor is a new ginetd that reported ready.
type successor struct {
	pid   int
	pidfd int
	conn  *os.File // our end of its fd 3: open until this process exits
}

// startNew starts the new ginetd with what h hands over and waits until it
// is ready. It runs on a goroutine of its own while the loop goes on; the
// loop acts on the result.
func (srv *server) startNew(h *supervisor.Handoff) (*successor, error) {
	keys := make([]string, 0, len(h.Sockets))
	for k := range h.Sockets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socketpair", err)
	}
	files := []uintptr{0, 1, 2, uintptr(pair[1])}
	for _, k := range keys {
		files = append(files, uintptr(h.Sockets[k]))
	}
	var held []string
	for _, k := range keys {
		for _, c := range h.Held[k] {
			files = append(files, uintptr(c.PidFD))
			held = append(held, k+"\t"+strconv.Itoa(c.PID))
		}
	}
	env := make([]string, 0, len(os.Environ())+3)
	for _, kv := range os.Environ() {
		// WATCHDOG_PID names this process: the new one, main pid once
		// this one exits, keeps the watchdog (and passes on none).
		if !strings.HasPrefix(kv, "WATCHDOG_PID=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		envUpgradeKeys+"="+strings.Join(keys, "\n"),
		envUpgradeHeld+"="+strings.Join(held, "\n"),
		envUpgradeFrom+"="+strconv.Itoa(os.Getpid()))
	// ForkExec, not os.StartProcess: the latter would make the shared
	// sockets blocking under the running supervisor's feet. The pidfd
	// names the new process even once someone else has reaped it.
	pidfd := -1
	pid, err := syscall.ForkExec(exePath, os.Args, &syscall.ProcAttr{Env: env, Files: files,
		Sys: &syscall.SysProcAttr{PidFD: &pidfd}})
	unix.Close(pair[1])
	h.Close()
	conn := os.NewFile(uintptr(pair[0]), "upgrade")
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("start %s: %w", exePath, err)
	}
	srv.log.Info("upgrade", "exe", exePath, "pid", pid)
	conn.SetReadDeadline(time.Now().Add(upgradeTimeout))
	line, rerr := bufio.NewReader(conn).ReadString('\n')
	conn.SetReadDeadline(time.Time{})
	if line == "ok\n" {
		return &successor{pid: pid, pidfd: pidfd, conn: conn}, nil
	}
	conn.Close()
	killNew(pidfd)
	if msg := strings.TrimSpace(line); msg != "" {
		return nil, fmt.Errorf("new ginetd (pid %d): %s", pid, msg)
	}
	return nil, fmt.Errorf("new ginetd (pid %d) was not ready: %v", pid, rerr)
}

// killNew ends a new ginetd that failed, through its pidfd: never a
// signal to a pid that someone (the supervisor's wait4(-1)) may have
// reaped and the system given to another process. It is reaped here
// unless the supervisor was first.
func killNew(pidfd int) {
	if pidfd < 0 {
		return // no pidfd (an old kernel): it exits by itself, unready
	}
	defer unix.Close(pidfd)
	unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != unix.EINTR {
			break
		}
	}
	var info unix.Siginfo
	unix.Waitid(unix.P_PIDFD, pidfd, &info, unix.WEXITED|unix.WNOHANG, nil)
}

// upgradeChild is the new ginetd's side of an upgrade.
type upgradeChild struct {
	from    int      // the old ginetd's pid
	conn    *os.File // fd 3; reads EOF once the old ginetd has exited
	sockets map[string]*listen.Socket
	held    map[string][]supervisor.HeldChild
}

// upgradeFromEnv adopts the sockets of an upgrade, or returns nil when
// this ginetd was not started by one.
func upgradeFromEnv() (*upgradeChild, error) {
	keys, ok := os.LookupEnv(envUpgradeKeys)
	if !ok {
		return nil, nil
	}
	from, _ := strconv.Atoi(os.Getenv(envUpgradeFrom))
	heldEnv := os.Getenv(envUpgradeHeld)
	os.Unsetenv(envUpgradeKeys)
	os.Unsetenv(envUpgradeHeld)
	os.Unsetenv(envUpgradeFrom)
	unix.CloseOnExec(upgradeConnFD)
	up := &upgradeChild{from: from, conn: os.NewFile(upgradeConnFD, "upgrade"),
		sockets: map[string]*listen.Socket{}, held: map[string][]supervisor.HeldChild{}}
	fd := upgradeConnFD + 1
	if keys != "" {
		for _, key := range strings.Split(keys, "\n") {
			s, _, err := listen.FromFD(fd)
			if err != nil {
				up.report(err)
				return nil, err
			}
			up.sockets[key] = s
			fd++
		}
	}
	if heldEnv != "" {
		for _, kv := range strings.Split(heldEnv, "\n") {
			key, p, _ := strings.Cut(kv, "\t")
			pid, err := strconv.Atoi(p)
			if err != nil || pid <= 0 {
				err = fmt.Errorf("%s: bad entry %q", envUpgradeHeld, kv)
				up.report(err)
				return nil, err
			}
			unix.CloseOnExec(fd)
			up.held[key] = append(up.held[key], supervisor.HeldChild{PID: pid, PidFD: fd})
			fd++
		}
	}
	return up, nil
}

// report tells the old ginetd whether this one is ready (err == nil).
// After "ok", fd 3 stays open: its end is how the old ginetd's exit is
// seen (oldGone).
func (up *upgradeChild) report(err error) {
	if up.conn == nil {
		return
	}
	if err == nil {
		fmt.Fprint(up.conn, "ok\n")
		return
	}
	fmt.Fprintf(up.conn, "%s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	up.conn.Close()
	up.conn = nil
}

// oldGone returns a channel closed once the old ginetd has exited: its end
// of fd 3 closes with it.
func (up *upgradeChild) oldGone() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, up.conn)
		up.conn.Close()
		close(done)
	}()
	return done
}

// takeOver runs on the loop once the old ginetd has exited: it claims the
// control socket and the -metrics port the old one held, and tells
// systemd that this process is the service's main process now.
func (srv *server) takeOver() {
	if err := srv.claimControl(); err != nil {
		srv.log.Error("upgrade-claim", "err", err)
	}
	if srv.serveMetrics != nil {
		m, err := srv.serveMetrics()
		if err != nil {
			srv.log.Error("upgrade-claim", "err", err)
		}
		srv.metrics = m
		srv.serveMetrics = nil
	}
	daemon.Notify("MAINPID="+strconv.Itoa(os.Getpid()), "READY=1", srv.statusLine())
	srv.log.Info("upgraded", "from", srv.up.from)
	srv.up = nil // an upgrade of this one may start now
}

var errUpgrading = errors.New("an upgrade is in progress")

// inherited returns the sockets ginetd inherited, by key: from the old
// ginetd of an upgrade, or from systemd (LISTEN_FDS). The supervisor uses
// one for the service with that key, and each use is logged. Socket
// activation that does not add up (a malformed or absurd LISTEN_FDS or
// LISTEN_PID, a named fd that is not open) is an error: ginetd does not
// start.
func (srv *server) inherited() (map[string]*listen.Socket, error) {
	if srv.up != nil {
		return srv.up.sockets, nil
	}
	files, err := daemon.Files()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, nil
	}
	out := make(map[string]*listen.Socket, len(files))
	for _, f := range files {
		fd, err := listen.DupCloexec(int(f.Fd()))
		f.Close()
		if err != nil {
			continue
		}
		s, key, err := listen.FromFD(fd)
		if err != nil {
			srv.log.Error("socket-activation", "err", err)
			unix.Close(fd)
			continue
		}
		srv.log.Info("socket-activation", "key", key, "name", f.Name())
		out[key] = s
	}
	return out, nil
}
