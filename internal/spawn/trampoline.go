package spawn

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/spawn/startlimit"
)

// TrampolineArg0 is the argv[0] under which ginetd runs as the trampoline.
// cmd/ginetd checks for it before anything else and calls Trampoline.
const TrampolineArg0 = "ginetd-exec"

// TrampolineFailed is the trampoline's exit code when it could not start
// the program; what failed is on its error pipe (see Trampoline).
const TrampolineFailed = 111

// self is the running ginetd binary. /proc/self/exe names the running
// image even if the file on disk has been replaced by an upgrade.
var self = "/proc/self/exe"

// trampolineArgs rewrites spec into an exec of ginetd itself that applies
// spec.Extra and spec.Cred and then executes the real program, reporting
// a failure on descriptor errfd:
//
//	ginetd-exec -errfd 3 -umask 022 -nice 5 -rlimit 7:1024:1024 -nnp
//	            -chroot DIR -cgroup DIR -cred UID:GID:G1,G2 -- PATH ARGV...
//
// e may be nil: the trampoline then only gives the program the start
// state ginetd's own start state would spoil (startstate.go).
func trampolineArgs(spec *Spec, e *Extra, errfd int) (string, []string, []string) {
	a := []string{TrampolineArg0, "-errfd", strconv.Itoa(errfd)}
	if e == nil {
		e = &Extra{Umask: -1}
	}
	if e.Umask >= 0 {
		a = append(a, "-umask", strconv.FormatInt(int64(e.Umask), 8))
	}
	if e.Nice != 0 {
		a = append(a, "-nice", strconv.Itoa(e.Nice))
	}
	for _, r := range e.Rlimits {
		a = append(a, "-rlimit", fmt.Sprintf("%d:%d:%d", r.Resource, r.Cur, r.Max))
	}
	if e.NoNewPrivs {
		a = append(a, "-nnp")
	}
	if e.Chroot != "" {
		a = append(a, "-chroot", e.Chroot)
	}
	for _, dir := range e.Cgroups {
		a = append(a, "-cgroup", dir)
	}
	if e.ListenPID {
		a = append(a, "-listen-pid")
	}
	if c := spec.Cred; c != nil && isRoot {
		gs := make([]string, len(c.Groups))
		for i, g := range c.Groups {
			gs[i] = strconv.FormatUint(uint64(g), 10)
		}
		a = append(a, "-cred", fmt.Sprintf("%d:%d:%s", c.Uid, c.Gid, strings.Join(gs, ",")))
	}
	a = append(a, "--", spec.Path)
	a = append(a, spec.Argv...)
	return self, a, spec.Env
}

// Trampoline is the whole life of the trampoline process: apply the
// settings in args (os.Args[1:]), then exec the program. It never
// returns.
//
// Its fds 0–2 are the client's, and nothing of ginetd's may reach the
// client: before anything else it sets the client's fd 2 aside and puts
// the error pipe named by -errfd (which must come first) in its place,
// so a failure, and any message or traceback of the Go runtime, goes to
// ginetd, which logs it with the service (docs/ginetd.8, CHILDREN). The
// client's fd 2 comes back only for the execve itself. On failure the
// trampoline exits TrampolineFailed; without an error pipe it says
// nothing.
func Trampoline(args []string) {
	errfd := -1
	if len(args) >= 2 && args[0] == "-errfd" {
		if n, err := strconv.Atoi(args[1]); err == nil && n > 2 {
			errfd = n
		}
	}
	client2, err := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 3)
	if quiet(errfd) != nil {
		os.Exit(TrampolineFailed) // fd 2 may still be the client's: say nothing
	}
	if err == nil {
		err = trampoline(args, client2)
	}
	fmt.Fprintf(os.Stderr, "%v\n", err) // fd 2 is the error pipe (again)
	os.Exit(TrampolineFailed)
}

// quiet makes fd 2 the error pipe errfd (close-on-exec itself), or
// /dev/null without one.
func quiet(errfd int) error {
	if errfd > 2 {
		unix.CloseOnExec(errfd)
		return unix.Dup3(errfd, 2, 0)
	}
	null, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(null)
	return unix.Dup3(null, 2, 0)
}

// rlimitFlag is one -rlimit RESOURCE:SOFT:HARD.
type rlimitFlag struct {
	res int
	lim unix.Rlimit
}

type rlimits []rlimitFlag

func (r *rlimits) String() string { return "" }
func (r *rlimits) Set(s string) error {
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return errors.New("want RESOURCE:SOFT:HARD")
	}
	res, err := strconv.Atoi(f[0])
	if err != nil || res < 0 {
		return fmt.Errorf("bad resource %q", f[0])
	}
	cur, err1 := strconv.ParseUint(f[1], 10, 64)
	max, err2 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("bad limits %q", s)
	}
	*r = append(*r, rlimitFlag{res, unix.Rlimit{Cur: cur, Max: max}})
	return nil
}

// dirs is a repeated -cgroup.
type dirs []string

func (s *dirs) String() string     { return "" }
func (s *dirs) Set(v string) error { *s = append(*s, v); return nil }

// octal is -umask.
type octal struct {
	set bool
	v   int
}

func (o *octal) String() string { return "" }
func (o *octal) Set(s string) error {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o777 {
		return fmt.Errorf("bad umask %q", s)
	}
	o.set, o.v = true, int(v)
	return nil
}

func trampoline(args []string, client2 int) error {
	fs := flag.NewFlagSet(TrampolineArg0, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		umask   octal
		limits  rlimits
		cgroups dirs
	)
	// A nice value belongs to a thread on Linux, and execve keeps the
	// calling thread's: the one that renices is the one that execs.
	runtime.LockOSThread()
	fs.Int("errfd", -1, "") // taken by Trampoline
	nice := fs.Int("nice", 0, "")
	fs.Var(&umask, "umask", "")
	fs.Var(&limits, "rlimit", "")
	nnp := fs.Bool("nnp", false, "")
	chroot := fs.String("chroot", "", "")
	fs.Var(&cgroups, "cgroup", "")
	listenPID := fs.Bool("listen-pid", false, "")
	credArg := fs.String("cred", "", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("arguments: %w", err)
	}
	rest := fs.Args()
	if len(rest) < 2 {
		return errors.New("arguments: no program")
	}
	path, argv := rest[0], rest[1:]
	var cred *credentials
	if *credArg != "" {
		c, err := parseCred(*credArg)
		if err != nil {
			return err
		}
		cred = c
	}

	// The cgroups first: their paths are outside a chroot.
	for _, dir := range cgroups {
		p := filepath.Join(dir, "cgroup.procs")
		if err := os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
	}
	keepNofile := false
	for _, r := range limits {
		if err := unix.Setrlimit(r.res, &r.lim); err != nil {
			return fmt.Errorf("setrlimit %d %d:%d: %w", r.res, r.lim.Cur, r.lim.Max, err)
		}
		keepNofile = keepNofile || r.res == unix.RLIMIT_NOFILE
	}
	if *nice != 0 {
		if err := renice(*nice); err != nil {
			return fmt.Errorf("nice %d: %w", *nice, err)
		}
	}
	if umask.set {
		syscall.Umask(umask.v)
	}
	if *chroot != "" {
		if err := unix.Chroot(*chroot); err != nil {
			return fmt.Errorf("chroot %s: %w", *chroot, err)
		}
		if err := unix.Chdir("/"); err != nil {
			return fmt.Errorf("chroot %s: %w", *chroot, err)
		}
	}
	if *listenPID {
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	}
	if cred != nil {
		if err := cred.set(); err != nil {
			return err
		}
	}
	if *nnp {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("no_new_privs: %w", err)
		}
	}
	return execClean(path, argv, os.Environ(), client2, !keepNofile)
}

// renice adds inc to this thread's nice value, kept within -20 to 19, as
// nice(2) does and xinetd's nice attribute uses it (docs/ginetd.conf.5).
func renice(inc int) error {
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		return fmt.Errorf("getpriority: %w", err)
	}
	n := min(max(20-prio+inc, -20), 19) // the system call returns 20 - nice
	if err := unix.Setpriority(unix.PRIO_PROCESS, 0, n); err != nil {
		return fmt.Errorf("setpriority %d: %w", n, err)
	}
	return nil
}

// execClean execs path as a child of ginetd starts (startstate.go):
// RLIMIT_NOFILE as this process was started with (unless the service set
// it), every signal at SIG_DFL, an empty mask, and the client's fd 2. It
// returns only on failure, with fd 2 the error pipe again.
func execClean(path string, argv, env []string, client2 int, restoreNofile bool) error {
	pathp, err := syscall.BytePtrFromString(path)
	if err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	if restoreNofile {
		// syscall.Exec would do this too; the system calls below are
		// raw, so that nothing between fd 2's return and execve can
		// print.
		if soft, hard, ok := startlimit.Nofile(); ok {
			lim := unix.Rlimit{Cur: soft, Max: hard}
			if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
				return fmt.Errorf("restore RLIMIT_NOFILE: %w", err)
			}
		}
	}
	runtime.LockOSThread() // the mask below is this thread's
	var dfl sigaction
	for sig := 1; sig <= 64; sig++ {
		if sig != int(syscall.SIGKILL) && sig != int(syscall.SIGSTOP) {
			unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
		}
	}
	var empty uint64
	if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&empty)), 0, 8, 0, 0); errno != 0 {
		return fmt.Errorf("sigprocmask: %w", errno)
	}
	errfd2, _, errno := unix.RawSyscall(unix.SYS_FCNTL, 2, unix.F_DUPFD_CLOEXEC, 3)
	if errno != 0 {
		return fmt.Errorf("dup: %w", errno)
	}
	unix.RawSyscall(unix.SYS_DUP3, uintptr(client2), 2, 0)
	_, _, errno = unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(pathp)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])))
	unix.RawSyscall(unix.SYS_DUP3, errfd2, 2, 0)
	return fmt.Errorf("exec %s: %w", path, errno)
}

type credentials struct {
	uid, gid int
	groups   []int
}

func parseCred(s string) (*credentials, error) {
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return nil, fmt.Errorf("bad credentials %q", s)
	}
	uid, err1 := strconv.ParseUint(f[0], 10, 32)
	gid, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("bad credentials %q", s)
	}
	c := &credentials{uid: int(uid), gid: int(gid), groups: []int{}}
	if f[2] != "" {
		for _, g := range strings.Split(f[2], ",") {
			n, err := strconv.ParseUint(g, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("bad group %q", g)
			}
			c.groups = append(c.groups, int(n))
		}
	}
	return c, nil
}

func (c *credentials) set() error {
	if err := syscall.Setgroups(c.groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(c.gid); err != nil {
		return fmt.Errorf("setgid %d: %w", c.gid, err)
	}
	if err := syscall.Setuid(c.uid); err != nil {
		return fmt.Errorf("setuid %d: %w", c.uid, err)
	}
	return nil
}
