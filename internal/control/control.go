// Package control owns ginetd's control socket: a unix stream socket
// (mode 0600) on which `ginetd status`, `reload`, `stop` and `upgrade` send
// one command line and read one JSON reply. Only root and ginetd's own
// user are served (docs/ginetd.8, -control).
package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/supervisor"
)

// Handler carries out the commands. Each method is called on the control
// goroutine of one client.
type Handler interface {
	Status() ([]supervisor.ServiceStatus, error)
	Reload() error
	Stop() error
	// Upgrade starts the new ginetd and waits until it is ready.
	Upgrade() error
	// Finish completes a successful "stop" or "upgrade" once its reply
	// has been sent: the process is about to end.
	Finish(cmd string)
}

// Reply is the server's answer to one command.
type Reply struct {
	OK       bool                       `json:"ok"`
	Error    string                     `json:"error,omitempty"`
	Services []supervisor.ServiceStatus `json:"services,omitempty"`
}

// Server accepts control connections until Close.
type Server struct {
	ln   net.Listener
	path string
	ino  fileID // of the socket at path, which Close removes only if still there
	log  *slog.Logger
	h    Handler

	stopping atomic.Bool
	served   chan struct{}  // closed when serve has returned
	clients  sync.WaitGroup // handle goroutines
}

type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) fileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}
	}
	return fileID{uint64(st.Dev), st.Ino}
}

// Listen creates the control socket at path with mode 0600 and serves h
// on it; log gets what goes wrong with a client. A socket nobody listens
// on (left by a killed ginetd) is replaced; a live one, or anything at
// path that is not a socket, is left alone and is an error.
func Listen(path string, h Handler, log *slog.Logger) (*Server, error) {
	return listen(path, h, log, false)
}

// Replace is Listen for the new ginetd of a binary upgrade: its socket is
// renamed over the one at path even while the old ginetd still serves
// that one, so that a client finds one or the other at every instant.
// The old one's Close then leaves the path alone.
func Replace(path string, h Handler, log *slog.Logger) (*Server, error) {
	return listen(path, h, log, true)
}

func listen(path string, h Handler, log *slog.Logger, replace bool) (*Server, error) {
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode().Type() != fs.ModeSocket:
		return nil, fmt.Errorf("control socket %s: exists and is not a socket (left as it is)", path)
	case err == nil && replace:
	case err == nil:
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket %s: in use by another ginetd", path)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("control socket %s: exists and is not a stale socket: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	s := &Server{ln: ln, path: path, log: log, h: h, served: make(chan struct{})}
	if fi, err := os.Lstat(path); err == nil {
		s.ino = idOf(fi)
	}
	go s.serve(h)
	return s, nil
}

// listenPrivate binds a unix stream socket where nobody else can reach it,
// in a fresh directory of mode 0700 beside path, makes it mode 0600 and
// only then renames it to path (replacing a stale socket at once). The
// umask is process-wide, and children started meanwhile would inherit a
// changed one; this way the socket is never reachable with a wider mode,
// whatever the umask.
func listenPrivate(path string) (net.Listener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".ginetd-ctl")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	f := os.NewFile(uintptr(fd), "control")
	defer f.Close()
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: tmp}); err != nil {
		return nil, os.NewSyscallError("bind", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return nil, err
	}
	if err := unix.Listen(fd, 64); err != nil {
		return nil, os.NewSyscallError("listen", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	ln, err := net.FileListener(f) // a close-on-exec duplicate
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return ln, nil
}

// Close stops accepting and removes the socket, unless something else
// has taken its path meanwhile.
func (s *Server) Close() error {
	err := s.ln.Close()
	if fi, lerr := os.Lstat(s.path); lerr == nil && fi.Mode().Type() == fs.ModeSocket && idOf(fi) == s.ino {
		os.Remove(s.path)
	}
	return err
}

// maxAcceptDelay caps the back-off after a failed accept.
const maxAcceptDelay = time.Second

// serve accepts until Close. A failed accept (EMFILE: out of descriptors)
// is retried after 5 ms, doubling up to 1 s, as net/http's Server.Serve
// does, and logged once per streak; it never ends the loop.
func (s *Server) serve(h Handler) {
	defer close(s.served)
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.stopping.Load() {
				return
			}
			if delay == 0 {
				delay = 5 * time.Millisecond
				s.log.Error("control", "err", err, "retry", delay)
			} else {
				delay = min(2*delay, maxAcceptDelay)
			}
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.clients.Add(1)
		go s.handle(c, h)
	}
}

// Shutdown is Close for the old ginetd of a binary upgrade once its
// successor's socket has replaced this one at the path: no new client can
// reach this socket then, but one that connected just before may still
// wait in its queue. Shutdown serves every client queued or being served,
// waiting for them for at most timeout, and then closes the socket.
func (s *Server) Shutdown(timeout time.Duration) {
	s.stopping.Store(true)
	if dl, ok := s.ln.(interface{ SetDeadline(time.Time) error }); ok {
		dl.SetDeadline(time.Unix(1, 0)) // wakes serve's Accept
	}
	<-s.served
	if sc, ok := s.ln.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) {
				for {
					nfd, _, err := unix.Accept4(int(fd), unix.SOCK_CLOEXEC)
					if err == unix.EINTR {
						continue
					}
					if err != nil {
						return // EAGAIN: the queue is empty
					}
					f := os.NewFile(uintptr(nfd), "control")
					c, err := net.FileConn(f)
					f.Close()
					if err == nil {
						s.clients.Add(1)
						go s.handle(c, s.h)
					}
				}
			})
		}
	}
	done := make(chan struct{})
	go func() {
		s.clients.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
	}
	s.Close()
}

// handle serves one client, if it runs as root or as ginetd's own user.
func (s *Server) handle(c net.Conn, h Handler) {
	defer s.clients.Done()
	cred, err := peerCred(c)
	if err == nil && cred.Uid != 0 && int(cred.Uid) != os.Geteuid() {
		err = fmt.Errorf("uid %d is neither root nor ginetd's", cred.Uid)
	}
	if err != nil {
		s.log.Warn("control", "reason", "peer refused", "err", err, "pid", cred.Pid)
		c.SetDeadline(time.Now().Add(time.Second))
		var b [512]byte
		c.Read(b[:]) // the command, unread; so that the client's write succeeds
		json.NewEncoder(c).Encode(&Reply{Error: "permission denied"})
		c.Close()
		return
	}
	handle(c, h)
}

// peerCred returns the credentials of the process that connected c
// (SO_PEERCRED).
func peerCred(c net.Conn) (unix.Ucred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return unix.Ucred{}, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return unix.Ucred{}, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return unix.Ucred{}, err
	}
	if cerr != nil {
		return unix.Ucred{}, os.NewSyscallError("getsockopt SO_PEERCRED", cerr)
	}
	return *cred, nil
}

// maxLine bounds the command line a control client may send.
const maxLine = 256

func handle(c net.Conn, h Handler) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	// A command is one short word: the line is read from at most
	// maxLine bytes, whatever the peer sends.
	line, err := bufio.NewReader(io.LimitReader(c, maxLine)).ReadString('\n')
	if err != nil && len(line) < maxLine { // closed before a whole command
		return
	}
	var r Reply
	switch cmd := strings.TrimSpace(line); cmd {
	case "status":
		r.Services, err = h.Status()
	case "reload":
		err = h.Reload()
	case "stop":
		err = h.Stop()
	case "upgrade":
		err = h.Upgrade()
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	r.OK = err == nil
	if err != nil {
		r.Error = err.Error()
	}
	json.NewEncoder(c).Encode(&r)
	if cmd := strings.TrimSpace(line); r.OK && (cmd == "stop" || cmd == "upgrade") {
		c.Close()
		h.Finish(cmd)
	}
}

// Request sends cmd to the control socket at path and returns the reply.
// A reply is read even when the command could not be written: a server
// that refuses the client answers without reading it.
// A reply that reports failure is returned with an error holding its text.
func Request(path, cmd string) (*Reply, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	_, werr := fmt.Fprintf(c, "%s\n", cmd)
	var r Reply
	if err := json.NewDecoder(c).Decode(&r); err != nil {
		if werr != nil {
			return nil, werr
		}
		return nil, fmt.Errorf("control socket: bad reply: %w", err)
	}
	if !r.OK {
		return &r, errors.New(r.Error)
	}
	return &r, nil
}
