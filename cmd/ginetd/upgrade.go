package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/daemon"
	"github.com/ginetd/ginetd/internal/control"
	"github.com/ginetd/ginetd/internal/listen"
	"github.com/ginetd/ginetd/internal/supervisor"
)

// A binary upgrade (SIGUSR2, `ginetd upgrade`) starts the binary now on
// disk with the same arguments and every service socket inherited: fd 3 is
// one end of a SOCK_SEQPACKET socket pair with the old ginetd, fds 4...
// the sockets, named in order by GINETD_UPGRADE_KEYS, then the pidfds of
// the children still serving a wait service's socket, named
// "KEY<tab>PID<tab>AGE<tab>PEER" by GINETD_UPGRADE_HELD (see
// supervisor.Handoff). Before it starts the new one, the old ginetd stops
// starting children on wait services.
//
// The new ginetd validates its configuration, takes the sockets whose keys
// its services have, renames its pid file over the old one, and sends
// "ok" (or the error) on fd 3. Only then does the old one stop accepting
// and close its -metrics port, send the new one every child it has
// running ("child" messages: key, pid, age, client, and the pidfd),
// then "handover", and tell systemd the new main pid; if the new one
// fails, the old one kills it (through its pidfd), keeps serving and logs
// why. At "handover" the new ginetd renames its control socket over the
// old one's, opens the -metrics port, tells systemd MAINPID= and READY=1,
// and adopts the children (supervisor.Adopt: instances, per_source and
// max_lifetime count them).
//
// The old ginetd then drains (server.drain): it accepts nothing, serves
// the connections it serves itself until they end or -drain passes, hands
// on any child it starts meanwhile, and exits. It no longer owns the pid
// file or the control socket path: it removes neither. The new ginetd sees
// its exit as the end of fd 3.
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
	conn  *net.UnixConn // our end of its fd 3: open until this process exits
	// taken is closed once the successor has renamed its control socket
	// over ours ("taken"), or has gone.
	taken     chan struct{}
	takenOnce sync.Once
}

// watch reads what the successor sends after "ok": "taken", then nothing
// until it exits.
func (succ *successor) watch() {
	buf := make([]byte, 64)
	for {
		n, err := succ.conn.Read(buf)
		if n == 0 || err != nil || string(buf[:n]) == "taken" {
			succ.takenOnce.Do(func() { close(succ.taken) })
		}
		if n == 0 || err != nil {
			return
		}
	}
}

// forward sends a control command that reached this ginetd after it
// handed over (a client that connected just before its successor took
// the socket's path) to the successor, once it has taken the path.
func (srv *server) forward(succ *successor, cmd string) (*control.Reply, error) {
	select {
	case <-succ.taken:
	case <-time.After(5 * time.Second):
	}
	path := srv.flags.controlPath()
	if path == "" {
		return nil, fmt.Errorf("this ginetd has handed over to pid %d", succ.pid)
	}
	return control.Request(path, cmd)
}

// heldLine is a child handed over: "KEY<tab>PID<tab>AGE<tab>PEER", AGE in
// nanoseconds, PEER empty when there is none.
func heldLine(h supervisor.HeldChild) string {
	peer := ""
	if h.Peer.IsValid() {
		peer = h.Peer.String()
	}
	return h.Key + "\t" + strconv.Itoa(h.PID) + "\t" + strconv.FormatInt(int64(h.Age), 10) + "\t" + peer
}

// parseHeld reads a heldLine; an older ginetd sends "KEY<tab>PID" only.
func parseHeld(line string) (supervisor.HeldChild, error) {
	f := strings.Split(line, "\t")
	var h supervisor.HeldChild
	var err error
	if len(f) < 2 {
		return h, fmt.Errorf("bad handed-over child %q", line)
	}
	h.Key = f[0]
	if h.PID, err = strconv.Atoi(f[1]); err != nil || h.PID <= 0 {
		return h, fmt.Errorf("bad handed-over child %q", line)
	}
	if len(f) > 2 {
		age, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || age < 0 {
			return h, fmt.Errorf("bad handed-over child %q", line)
		}
		h.Age = time.Duration(age)
	}
	if len(f) > 3 && f[3] != "" {
		if h.Peer, err = netip.ParseAddrPort(f[3]); err != nil {
			return h, fmt.Errorf("bad handed-over child %q", line)
		}
	}
	return h, nil
}

// startNew starts the new ginetd with what h hands over and waits until it
// is ready. It runs on a goroutine of its own while the loop goes on; the
// loop acts on the result.
func (srv *server) startNew(h *supervisor.Handoff) (*successor, error) {
	defer h.Close()
	keys := make([]string, 0, len(h.Sockets))
	for k := range h.Sockets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socketpair", err)
	}
	conn, err := unixConn(pair[0])
	if err != nil {
		unix.Close(pair[1])
		return nil, err
	}
	files := []uintptr{0, 1, 2, uintptr(pair[1])}
	for _, k := range keys {
		files = append(files, uintptr(h.Sockets[k]))
	}
	var held []string
	for _, k := range keys {
		for _, c := range h.Held[k] {
			files = append(files, uintptr(c.PidFD))
			c.Key = k
			held = append(held, heldLine(c))
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
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("start %s: %w", exePath, err)
	}
	srv.log.Info("upgrade", "exe", exePath, "pid", pid)
	conn.SetReadDeadline(time.Now().Add(upgradeTimeout))
	buf := make([]byte, 4096)
	n, rerr := conn.Read(buf)
	conn.SetReadDeadline(time.Time{})
	msg := strings.TrimSpace(string(buf[:n]))
	if msg == "ok" {
		return &successor{pid: pid, pidfd: pidfd, conn: conn, taken: make(chan struct{})}, nil
	}
	conn.Close()
	killNew(pidfd)
	if msg != "" {
		return nil, fmt.Errorf("new ginetd (pid %d): %s", pid, msg)
	}
	return nil, fmt.Errorf("new ginetd (pid %d) was not ready: %v", pid, rerr)
}

// unixConn makes fd (closed here) a *net.UnixConn in the netpoller.
func unixConn(fd int) (*net.UnixConn, error) {
	f := os.NewFile(uintptr(fd), "upgrade")
	c, err := net.FileConn(f) // a close-on-exec, non-blocking duplicate
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("upgrade socket: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, errors.New("upgrade socket: not a unix socket")
	}
	return uc, nil
}

// handOn sends the successor a child to adopt, with its pidfd, which it
// closes. It runs on the supervisor's loop (Handover), so it does not
// wait long for a successor that does not read.
func (succ *successor) handOn(log *slog.Logger, h supervisor.HeldChild) {
	defer unix.Close(h.PidFD)
	succ.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _, err := succ.conn.WriteMsgUnix([]byte("child\t"+heldLine(h)), unix.UnixRights(h.PidFD), nil)
	if err != nil {
		log.Error("handover", "pid", h.PID, "to", succ.pid, "err", err)
	}
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
	from    int           // the old ginetd's pid
	conn    *net.UnixConn // fd 3; reads EOF once the old ginetd has exited
	sockets map[string]*listen.Socket
	held    map[string][]supervisor.HeldChild
	// handedOver: the old ginetd has stopped accepting and let go of the
	// control socket and -metrics port (takeOver ran).
	handedOver bool
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
	conn, err := unixConn(upgradeConnFD)
	if err != nil {
		return nil, err
	}
	up := &upgradeChild{from: from, conn: conn,
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
		for _, line := range strings.Split(heldEnv, "\n") {
			h, err := parseHeld(line)
			if err != nil {
				err = fmt.Errorf("%s: %w", envUpgradeHeld, err)
				up.report(err)
				return nil, err
			}
			unix.CloseOnExec(fd)
			h.PidFD = fd
			up.held[h.Key] = append(up.held[h.Key], h)
			fd++
		}
	}
	return up, nil
}

// report tells the old ginetd whether this one is ready (err == nil).
// After "ok", fd 3 stays open: the old ginetd hands over on it, and its
// end is how the old ginetd's exit is seen (readOld).
func (up *upgradeChild) report(err error) {
	if up.conn == nil {
		return
	}
	if err == nil {
		up.conn.Write([]byte("ok\n"))
		return
	}
	up.conn.Write([]byte(strings.ReplaceAll(err.Error(), "\n", "; ") + "\n"))
	up.conn.Close()
	up.conn = nil
}

// readOld reads what the old ginetd sends after "ok": the children it
// hands over, adopted at once, and "handover", passed on to the loop on
// handed. oldGone is closed once it has exited. An old ginetd of an
// earlier version sends nothing and hands over by exiting.
func (srv *server) readOld(handed chan<- struct{}) (oldGone <-chan struct{}) {
	up, done := srv.up, make(chan struct{})
	go func() {
		defer close(done)
		defer up.conn.Close()
		buf := make([]byte, 4096)
		oob := make([]byte, unix.CmsgSpace(4*4))
		for {
			n, oobn, _, _, err := up.conn.ReadMsgUnix(buf, oob)
			var fds []int
			if oobn > 0 {
				if cms, perr := unix.ParseSocketControlMessage(oob[:oobn]); perr == nil {
					for _, cm := range cms {
						if rights, err := unix.ParseUnixRights(&cm); err == nil {
							fds = append(fds, rights...)
						}
					}
				}
			}
			if n == 0 || err != nil {
				closeFDs(fds)
				return
			}
			msg := string(buf[:n])
			switch {
			case msg == "handover":
				closeFDs(fds)
				handed <- struct{}{}
			case strings.HasPrefix(msg, "child\t") && len(fds) == 1:
				h, err := parseHeld(strings.TrimPrefix(msg, "child\t"))
				if err != nil {
					srv.log.Error("held", "err", err)
					closeFDs(fds)
					continue
				}
				h.PidFD = fds[0]
				srv.sup.Adopt(h)
			default:
				closeFDs(fds)
			}
		}
	}()
	return done
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// takeOver runs on the loop once the old ginetd has handed over (or, if
// it is of an earlier version, exited): it renames its control socket over
// the old one's, opens the -metrics port the old one has closed, and
// tells systemd that this process is the service's main process now.
func (srv *server) takeOver() {
	if err := srv.claimControl(true); err != nil {
		srv.log.Error("upgrade-claim", "err", err)
	}
	// The old ginetd forwards what still reaches its control socket.
	srv.up.conn.Write([]byte("taken"))
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
	srv.up.handedOver = true // an upgrade of this one may start now
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
