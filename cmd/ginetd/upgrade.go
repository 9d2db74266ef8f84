package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/daemon"
	"github.com/ginetd/ginetd/internal/listen"
)

// A binary upgrade (SIGUSR2, `ginetd upgrade`) starts the binary now on
// disk with the same arguments and every service socket inherited: fd 3 is
// a readiness pipe, fds 4... the sockets, named in order by
// GINETD_UPGRADE_KEYS. The new ginetd validates its configuration, takes
// the sockets whose keys its services have, and writes "ok" (or the error)
// on the pipe. Only then does the old one stop accepting and exit, leaving
// its children running; if the new one fails, the old one keeps serving and
// logs why. The new ginetd takes the pid file and the control socket once
// the old one has exited.
const (
	envUpgradeKeys = "GINETD_UPGRADE_KEYS"
	envUpgradeFrom = "GINETD_UPGRADE_FROM"
	upgradePipeFD  = 3
	upgradeTimeout = 30 * time.Second
)

// exePath is the binary ginetd was started from; an upgrade runs what is
// at that path now.
var exePath, _ = os.Executable()

var upgradeMu sync.Mutex // one upgrade at a time

// upgrade hands every socket to a new ginetd and, once it is ready, exits
// (SIGUSR2).
func (srv *server) upgrade() error {
	if err := srv.prepareUpgrade(); err != nil {
		return err
	}
	srv.handover()
	return nil
}

// prepareUpgrade starts the new ginetd and waits until it is ready. On
// success the caller must call handover; upgradeMu stays held until then.
func (srv *server) prepareUpgrade() error {
	if !upgradeMu.TryLock() {
		return errors.New("an upgrade is already running")
	}
	err := srv.startNew()
	if err != nil {
		upgradeMu.Unlock()
		srv.log.Error("upgrade-failed", "err", err)
		return err
	}
	srv.log.Info("upgrade", "status", "new ginetd ready; handing over")
	return nil
}

// handover stops this ginetd without closing what the new one serves:
// its loop ends and serve returns.
func (srv *server) handover() {
	daemon.Stopping()
	srv.release()
	srv.sup.Handover()
}

func (srv *server) startNew() error {
	fds, err := srv.sup.Sockets()
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(fds))
	for k := range fds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pipe [2]int // the readiness pipe: read end here, write end the new ginetd's fd 3
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	files := []uintptr{0, 1, 2, uintptr(pipe[1])}
	for _, k := range keys {
		files = append(files, uintptr(fds[k]))
	}
	env := append(os.Environ(),
		envUpgradeKeys+"="+strings.Join(keys, "\n"),
		envUpgradeFrom+"="+strconv.Itoa(os.Getpid()))
	// ForkExec, not os.StartProcess: the latter would make the shared
	// sockets blocking under the running supervisor's feet.
	pid, err := syscall.ForkExec(exePath, os.Args, &syscall.ProcAttr{Env: env, Files: files})
	unix.Close(pipe[1])
	if err != nil {
		unix.Close(pipe[0])
		return fmt.Errorf("start %s: %w", exePath, err)
	}
	srv.log.Info("upgrade", "exe", exePath, "pid", pid)
	pr := os.NewFile(uintptr(pipe[0]), "upgrade-ready")
	defer pr.Close()
	pr.SetReadDeadline(time.Now().Add(upgradeTimeout))
	line, rerr := bufio.NewReader(pr).ReadString('\n')
	if line == "ok\n" {
		return nil
	}
	unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	unix.Wait4(pid, &ws, 0, nil) // the failed new ginetd: reap it here
	if msg := strings.TrimSpace(line); msg != "" {
		return fmt.Errorf("new ginetd (pid %d): %s", pid, msg)
	}
	return fmt.Errorf("new ginetd (pid %d) exited before it was ready: %v", pid, rerr)
}

// upgradeChild is the new ginetd's side of an upgrade.
type upgradeChild struct {
	from    int // the old ginetd's pid
	pipe    *os.File
	sockets map[string]*listen.Socket
}

// upgradeFromEnv adopts the sockets of an upgrade, or returns nil when
// this ginetd was not started by one.
func upgradeFromEnv() (*upgradeChild, error) {
	keys, ok := os.LookupEnv(envUpgradeKeys)
	if !ok {
		return nil, nil
	}
	from, _ := strconv.Atoi(os.Getenv(envUpgradeFrom))
	os.Unsetenv(envUpgradeKeys)
	os.Unsetenv(envUpgradeFrom)
	unix.CloseOnExec(upgradePipeFD)
	up := &upgradeChild{from: from, pipe: os.NewFile(upgradePipeFD, "upgrade-ready"), sockets: map[string]*listen.Socket{}}
	if keys == "" {
		return up, nil
	}
	for i, key := range strings.Split(keys, "\n") {
		s, _, err := listen.FromFD(upgradePipeFD + 1 + i)
		if err != nil {
			up.report(err)
			return nil, err
		}
		up.sockets[key] = s
	}
	return up, nil
}

// report tells the old ginetd whether this one is ready (err == nil).
func (up *upgradeChild) report(err error) {
	if up.pipe == nil {
		return
	}
	if err == nil {
		fmt.Fprint(up.pipe, "ok\n")
	} else {
		fmt.Fprintf(up.pipe, "%s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	up.pipe.Close()
	up.pipe = nil
}

// takeOver waits for the old ginetd to exit, then claims the pid file and
// the control socket it held.
func (up *upgradeChild) takeOver(srv *server) {
	deadline := time.Now().Add(upgradeTimeout)
	for up.from > 0 && unix.Kill(up.from, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.claim(); err != nil {
		srv.log.Error("upgrade-claim", "err", err)
		return
	}
	if srv.serveMetrics != nil {
		m, err := srv.serveMetrics()
		if err != nil {
			srv.log.Error("upgrade-claim", "err", err)
		}
		srv.metrics = m
	}
	srv.log.Info("upgraded", "from", up.from)
}

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
