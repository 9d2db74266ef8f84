package control

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/supervisor"
)

// TestMain lets the test binary be a control client (Request) run as
// another user: GINETD_CONTROL_CLIENT=PATH CMD prints the reply or the
// error.
func TestMain(m *testing.M) {
	if path := os.Getenv("GINETD_CONTROL_CLIENT"); path != "" {
		r, err := Request(path, os.Getenv("GINETD_CONTROL_CMD"))
		fmt.Printf("reply=%+v err=%v\n", r, err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// callHandler records the calls; Stop fails.
type callHandler struct {
	mu       sync.Mutex
	calls    []string
	finished chan struct{} // closed by the first Finish, if not nil
	once     sync.Once
}

func (h *callHandler) add(c string) {
	h.mu.Lock()
	h.calls = append(h.calls, c)
	h.mu.Unlock()
}

func (h *callHandler) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

func (h *callHandler) Status() ([]supervisor.ServiceStatus, error) {
	h.add("status")
	return []supervisor.ServiceStatus{{Name: "daytime", Proto: "tcp4", State: supervisor.Listening, Accepted: 3}}, nil
}
func (h *callHandler) Reload() error  { h.add("reload"); return nil }
func (h *callHandler) Stop() error    { h.add("stop"); return errors.New("not now") }
func (h *callHandler) Upgrade() error { h.add("upgrade"); return nil }
func (h *callHandler) Finish(cmd string) {
	h.add("finish " + cmd)
	if h.finished != nil {
		h.once.Do(func() { close(h.finished) })
	}
}

// TestRequest: a command and its reply over the socket: the services of
// status, a failure's text as Request's error, Finish only after a
// successful stop or upgrade.
func TestRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	h := &callHandler{finished: make(chan struct{})}
	s, err := Listen(path, h, discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := Request(path, "status")
	if err != nil || !r.OK || len(r.Services) != 1 || r.Services[0].Name != "daytime" || r.Services[0].Accepted != 3 {
		t.Errorf("status: %+v, %v", r, err)
	}
	r, err = Request(path, "stop")
	if err == nil || err.Error() != "not now" || r == nil || r.OK {
		t.Errorf("a failed stop: %+v, %v; want the handler's error", r, err)
	}
	if _, err := Request(path, "upgrade"); err != nil {
		t.Errorf("upgrade: %v", err)
	}
	// Finish comes after the reply is written, on the server's
	// goroutine: the client may see the reply first.
	select {
	case <-h.finished:
	case <-time.After(10 * time.Second):
		t.Fatal("no Finish after a successful upgrade")
	}
	if _, err := Request(path, "restart"); err == nil || !strings.Contains(err.Error(), `unknown command "restart"`) {
		t.Errorf("an unknown command: %v", err)
	}
	want := []string{"status", "stop", "upgrade", "finish upgrade"}
	if got := h.got(); !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
}

// TestListenStale: a socket nobody listens on (left by a killed ginetd)
// is replaced; a live one is not.
func TestListenStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd) // the path stays, with nobody behind it
	s, err := Listen(path, &callHandler{}, discard)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	defer s.Close()
	if _, err := Request(path, "reload"); err != nil {
		t.Errorf("reload on the new socket: %v", err)
	}
	if s2, err := Listen(path, &callHandler{}, discard); err == nil || !strings.Contains(err.Error(), "in use by another ginetd") {
		if s2 != nil {
			s2.Close()
		}
		t.Errorf("a live socket: %v, want in use", err)
	}
}

// TestPeerRefused: a client that is neither root nor ginetd's user is
// refused, with a reply, and nothing is carried out, even when the
// socket's mode would let it connect.
func TestPeerRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run a client as nobody")
	}
	dir, err := os.MkdirTemp("", "ginetd-control")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client")
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(out, in)
	in.Close()
	if cerr := out.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}

	path := filepath.Join(dir, "ctl")
	h := &callHandler{}
	s, err := Listen(path, h, discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	os.Chmod(path, 0o666)
	cmd := exec.Command(bin)
	cmd.Env = []string{"GINETD_CONTROL_CLIENT=" + path, "GINETD_CONTROL_CMD=reload"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v: %s", err, got)
	}
	if !strings.Contains(string(got), "err=permission denied") {
		t.Errorf("client as nobody: %s, want permission denied", got)
	}
	if c := h.got(); len(c) > 0 {
		t.Errorf("a refused client had %q carried out", c)
	}
	// The same binary as root is served.
	cmd = exec.Command(bin)
	cmd.Env = []string{"GINETD_CONTROL_CLIENT=" + path, "GINETD_CONTROL_CMD=reload"}
	if got, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(got), "err=<nil>") {
		t.Errorf("client as root: %s, %v", got, err)
	}
}
