package spawn

import (
	"errors"
	"fmt"
	"os"
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
	Nice       int
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
// spec.Files; on success it owns c.PidFD and must reap the child with Reap.
func Start(spec *Spec) (Child, error) {
	path, argv, env := spec.Path, spec.Argv, spec.Env
	tramp := spec.Extra.Needed() // it then applies the credentials and the chroot too
	if tramp {
		path, argv, env = trampolineArgs(spec)
	}
	var cred *syscall.Credential // nil: the child keeps ginetd's identity
	if c := spec.Cred; c != nil && isRoot && !tramp && !sameAsSelf(c) {
		groups := c.Groups
		if groups == nil {
			groups = []uint32{}
		}
		cred = &syscall.Credential{Uid: c.Uid, Gid: c.Gid, Groups: groups}
	}
	chroot := ""
	if spec.Extra != nil && !tramp {
		chroot = spec.Extra.Chroot
	}
	var (
		ch  Child
		err error
		ok  bool
	)
	if chroot == "" {
		ch, err, ok = startFast(path, argv, env, spec.Files, cred, spec.Dir, spec.PidFD)
	}
	if !ok {
		ch, err = forkExec(path, argv, env, spec, cred, chroot)
	}
	if err != nil {
		return Child{PidFD: -1}, fmt.Errorf("exec %s: %w", spec.Path, err)
	}
	return ch, nil
}

// forkExec starts the child with syscall.ForkExec, where startFast does
// not apply.
func forkExec(path string, argv, env []string, spec *Spec, cred *syscall.Credential, chroot string) (Child, error) {
	pidfd := -1
	attr := &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   env,
		Files: make([]uintptr, len(spec.Files)),
		Sys:   &syscall.SysProcAttr{Setsid: true, Chroot: chroot, Credential: cred},
	}
	if spec.PidFD {
		attr.Sys.PidFD = &pidfd
	}
	for i, fd := range spec.Files {
		attr.Files[i] = uintptr(fd)
	}
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		return Child{}, err
	}
	return Child{Pid: pid, PidFD: pidfd}, nil
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
