package spawn

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// Spec describes one child process.
type Spec struct {
	Path  string   // program to execute
	Argv  []string // argv, including argv[0]
	Env   []string
	Files []int        // descriptors that become the child's fds 0, 1, 2, ...
	Cred  *config.Cred // nil: keep ginetd's own identity
	Dir   string       // working directory; "" = ginetd's ("/" when daemonized)

	// Applied through the trampoline when set.
	Extra *Extra

	// PidFD asks for a pidfd, for a caller that must learn of the exit at
	// once; without one the caller polls with ReapAny.
	PidFD bool
}

// Extra holds the process settings that need the trampoline.
type Extra struct {
	Umask      int // -1 = inherit
	Nice       int // added to ginetd's own nice value, as nice(2) does
	Rlimits    []config.Rlimit
	NoNewPrivs bool
	Chroot     string
	Cgroups    []string // cgroup directories to join (cgroup.procs)
	ListenPID  bool     // set LISTEN_PID to the child's own pid (socket activation)
}

// Needed reports whether any setting needs the trampoline.
func (e *Extra) Needed() bool {
	return e != nil && (e.Umask >= 0 || e.Nice != 0 || len(e.Rlimits) > 0 || e.NoNewPrivs || e.Chroot != "" || len(e.Cgroups) > 0 || e.ListenPID)
}

// Child is a started process.
type Child struct {
	Pid   int
	PidFD int // -1 when not asked for or not supported; the caller must Close it otherwise
	ErrFD int // a trampoline's error pipe (see ReadFailure), or -1; the caller must Close it otherwise
}

var isRoot = os.Geteuid() == 0

// self is ginetd's own identity: a child to run as exactly that needs no
// setgroups/setgid/setuid, which the vfork'd child would otherwise make
// while ginetd waits for its exec.
var selfCred = func() config.Cred {
	c := config.Cred{Uid: uint32(os.Geteuid()), Gid: uint32(os.Getegid())}
	gs, _ := syscall.Getgroups()
	for _, g := range gs {
		c.Groups = append(c.Groups, uint32(g))
	}
	return c
}()

// sameAsSelf reports whether c is ginetd's own identity.
func sameAsSelf(c *config.Cred) bool {
	if c.Uid != selfCred.Uid || c.Gid != selfCred.Gid || len(c.Groups) != len(selfCred.Groups) {
		return false
	}
	for i, g := range c.Groups {
		if g != selfCred.Groups[i] {
			return false
		}
	}
	return true
}

// fastBroken is set once the kernel has refused the clone3 path
// (clone_linux_amd64.go): syscall.ForkExec from then on.
var fastBroken atomic.Bool

// Start starts the child described by spec. The caller keeps ownership of
// spec.Files; on success it owns c.PidFD and c.ErrFD and must reap the
// child with Reap.
func Start(spec *Spec) (Child, error) {
	if spec.Extra.Needed() {
		return startTrampoline(spec, spec.Extra)
	}
	var cred *syscall.Credential // nil: the child keeps ginetd's identity
	if c := spec.Cred; c != nil && isRoot && !sameAsSelf(c) {
		groups := c.Groups
		if groups == nil {
			groups = []uint32{}
		}
		cred = &syscall.Credential{Uid: c.Uid, Gid: c.Gid, Groups: groups}
	}
	chroot := ""
	if spec.Extra != nil {
		chroot = spec.Extra.Chroot
	}
	var (
		ch  Child
		err error
		ok  bool
	)
	if chroot == "" {
		ch, err, ok = startFast(spec.Path, spec.Argv, spec.Env, spec.Files, cred, spec.Dir, spec.PidFD)
	}
	if !ok {
		if startDirty() {
			// ForkExec would hand on the ignored and blocked signals
			// ginetd was started with; the trampoline resets them.
			e := Extra{Umask: -1, Chroot: chroot}
			return startTrampoline(spec, &e)
		}
		ch, err = forkExec(spec.Path, spec.Argv, spec.Env, spec.Files, spec, cred, chroot)
	}
	if err != nil {
		return Child{PidFD: -1, ErrFD: -1}, fmt.Errorf("exec %s: %w", spec.Path, err)
	}
	return ch, nil
}

// startTrampoline starts ginetd itself as the trampoline that applies e
// and spec.Cred and execs spec's program. The trampoline gets the write
// end of a pipe as the descriptor after spec.Files and reports a failure
// there; the caller gets the read end as c.ErrFD (non-blocking; EOF once
// the program has been executed) and logs what comes (ReadFailure).
func startTrampoline(spec *Spec, e *Extra) (Child, error) {
	fail := Child{PidFD: -1, ErrFD: -1}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fail, fmt.Errorf("exec %s: %w", spec.Path, os.NewSyscallError("pipe2", err))
	}
	n := len(spec.Files)
	if p[1] < n+1 {
		// The clone3 path wants every source above the numbers it fills.
		w, err := unix.FcntlInt(uintptr(p[1]), unix.F_DUPFD_CLOEXEC, n+1)
		unix.Close(p[1])
		if err != nil {
			unix.Close(p[0])
			return fail, fmt.Errorf("exec %s: %w", spec.Path, os.NewSyscallError("fcntl", err))
		}
		p[1] = w
	}
	files := make([]int, n+1)
	copy(files, spec.Files)
	files[n] = p[1]
	path, argv, env := trampolineArgs(spec, e, n)
	// The trampoline applies the credentials and the chroot itself.
	ch, err, ok := startFast(path, argv, env, files, nil, spec.Dir, spec.PidFD)
	if !ok {
		ch, err = forkExec(path, argv, env, files, spec, nil, "")
	}
	unix.Close(p[1])
	if err != nil {
		unix.Close(p[0])
		return fail, fmt.Errorf("exec %s: %w", spec.Path, err)
	}
	ch.ErrFD = p[0]
	return ch, nil
}

// ReadFailure reads what a trampoline reported on its error pipe errfd
// (Child.ErrFD). done is true once there is nothing more to wait for (the
// program was executed, or the trampoline failed and msg says why); the
// caller then closes errfd. A message is at most a line of ginetd's own
// text (the trampoline's error), never the program's.
func ReadFailure(errfd int) (msg string, done bool) {
	var buf [1024]byte
	for {
		n, err := unix.Read(errfd, buf[:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return "", false
		case err != nil:
			return err.Error(), true
		}
		return strings.TrimSpace(string(buf[:n])), true
	}
}

// forkExec starts the child with syscall.ForkExec, where startFast does
// not apply.
func forkExec(path string, argv, env []string, files []int, spec *Spec, cred *syscall.Credential, chroot string) (Child, error) {
	pidfd := -1
	attr := &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   env,
		Files: make([]uintptr, len(files)),
		Sys:   &syscall.SysProcAttr{Setsid: true, Chroot: chroot, Credential: cred},
	}
	if spec.PidFD {
		attr.Sys.PidFD = &pidfd
	}
	for i, fd := range files {
		attr.Files[i] = uintptr(fd)
	}
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		return Child{}, err
	}
	return Child{Pid: pid, PidFD: pidfd, ErrFD: -1}, nil
}

// Status is how a child ended.
type Status struct {
	Exited   bool
	Code     int // exit code when Exited
	Signal   syscall.Signal
	CoreDump bool
}

// String returns "exit N" or "signal NAME".
func (s Status) String() string {
	if s.Exited {
		return fmt.Sprintf("exit %d", s.Code)
	}
	if s.CoreDump {
		return fmt.Sprintf("signal %s (core dumped)", unix.SignalName(s.Signal))
	}
	return "signal " + unix.SignalName(s.Signal)
}

// Success reports a zero exit.
func (s Status) Success() bool { return s.Exited && s.Code == 0 }

// ErrNotExited is returned by Reap when the child is still running.
var ErrNotExited = errors.New("child has not exited")

// Reap collects the exit status of pid without blocking. It returns
// ErrNotExited while the child runs.
func Reap(pid int) (Status, error) {
	var ws unix.WaitStatus
	for {
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Status{}, os.NewSyscallError("wait4", err)
		}
		if got == 0 {
			return Status{}, ErrNotExited
		}
		return statusOf(ws), nil
	}
}

// ReapAny collects any one exited child without blocking: pid 0 means none
// has exited (or there are no children).
func ReapAny() (int, Status) {
	var ws unix.WaitStatus
	for {
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return 0, Status{}
		}
		return pid, statusOf(ws)
	}
}

func statusOf(ws unix.WaitStatus) Status {
	if ws.Exited() {
		return Status{Exited: true, Code: ws.ExitStatus()}
	}
	return Status{Signal: ws.Signal(), CoreDump: ws.CoreDump()}
}
