package spawn

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// TrampolineArg0 is the argv[0] under which ginetd runs as the trampoline.
// cmd/ginetd checks for it before anything else and calls Trampoline.
const TrampolineArg0 = "ginetd-exec"

// self is the running ginetd binary. /proc/self/exe names the running
// image even if the file on disk has been replaced by an upgrade.
var self = "/proc/self/exe"

// trampolineArgs rewrites spec into an exec of ginetd itself that applies
// spec.Extra and spec.Cred and then executes the real program:
//
//	ginetd-exec -umask 022 -nice 5 -rlimit 7:1024:1024 -nnp -chroot DIR
//	            -cgroup DIR -cred UID:GID:G1,G2 -- PATH ARGV...
func trampolineArgs(spec *Spec) (string, []string, []string) {
	e := spec.Extra
	a := []string{TrampolineArg0}
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
// settings in args (os.Args[1:]), then exec the program. It never returns;
// a failure is written to stderr (the client's socket) and exits 111.
func Trampoline(args []string) {
	err := trampoline(args)
	fmt.Fprintf(os.Stderr, "ginetd-exec: %v\n", err)
	os.Exit(111)
}

func trampoline(args []string) error {
	var cred []string
	nnp := false
	for len(args) > 0 && args[0] != "--" {
		if len(args) < 2 && args[0] != "-nnp" && args[0] != "-listen-pid" {
			return fmt.Errorf("bad arguments %q", args)
		}
		switch args[0] {
		case "-umask":
			m, err := strconv.ParseUint(args[1], 8, 32)
			if err != nil {
				return err
			}
			syscall.Umask(int(m))
		case "-nice":
			n, _ := strconv.Atoi(args[1])
			if err := unix.Setpriority(unix.PRIO_PROCESS, 0, n); err != nil {
				return fmt.Errorf("setpriority %d: %w", n, err)
			}
		case "-rlimit":
			var res int
			var cur, max uint64
			if _, err := fmt.Sscanf(args[1], "%d:%d:%d", &res, &cur, &max); err != nil {
				return fmt.Errorf("rlimit %q: %w", args[1], err)
			}
			if err := unix.Setrlimit(res, &unix.Rlimit{Cur: cur, Max: max}); err != nil {
				return fmt.Errorf("setrlimit %d: %w", res, err)
			}
		case "-nnp":
			nnp = true
			args = args[1:]
			continue
		case "-listen-pid":
			os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
			args = args[1:]
			continue
		case "-chroot":
			if err := unix.Chroot(args[1]); err != nil {
				return fmt.Errorf("chroot %s: %w", args[1], err)
			}
			if err := unix.Chdir("/"); err != nil {
				return err
			}
		case "-cgroup":
			p := filepath.Join(args[1], "cgroup.procs")
			if err := os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
				return fmt.Errorf("join cgroup: %w", err)
			}
		case "-cred":
			cred = strings.SplitN(args[1], ":", 3)
		default:
			return fmt.Errorf("unknown option %q", args[0])
		}
		args = args[2:]
	}
	if len(args) < 3 {
		return fmt.Errorf("no program")
	}
	path, argv := args[1], args[2:]
	if cred != nil {
		if err := setCred(cred); err != nil {
			return err
		}
	}
	if nnp {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("no_new_privs: %w", err)
		}
	}
	err := syscall.Exec(path, argv, os.Environ())
	return fmt.Errorf("exec %s: %w", path, err)
}

func setCred(c []string) error {
	uid, err1 := strconv.Atoi(c[0])
	gid, err2 := strconv.Atoi(c[1])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("bad credentials %q", c)
	}
	groups := []int{}
	if c[2] != "" {
		for _, g := range strings.Split(c[2], ",") {
			n, err := strconv.Atoi(g)
			if err != nil {
				return fmt.Errorf("bad group %q", g)
			}
			groups = append(groups, n)
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	return nil
}
