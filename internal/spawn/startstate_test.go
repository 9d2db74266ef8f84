package spawn

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// dirtyNofile is the soft RLIMIT_NOFILE a dirty start begins with.
const dirtyNofile = 512

// dirty re-executes the test binary as a careless parent would start
// ginetd: job-control signals, SIGHUP and SIGPIPE ignored, SIGUSR2
// blocked, and a soft RLIMIT_NOFILE below the hard one.
func dirty() {
	signal.Ignore(syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGHUP, syscall.SIGPIPE)
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	lim.Cur = dirtyNofile
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtime.LockOSThread()
	var set unix.Sigset_t
	set.Val[0] = 1 << (uint(syscall.SIGUSR2) - 1)
	unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil)
	os.Setenv("SPAWNTEST_DIRTY", "2")
	env := os.Environ()
	err := syscall.Exec("/proc/self/exe", os.Args, env)
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// Children get every signal at its default, none blocked, and the
// RLIMIT_NOFILE ginetd was started with, however ginetd was started: the
// package's tests run again in a dirty start (dirty).
func TestDirtyStart(t *testing.T) {
	if os.Getenv("SPAWNTEST_DIRTY") != "" {
		t.Skip("in the dirty run")
	}
	cmd := exec.Command("/proc/self/exe", "-test.run=^(TestChildState|TestChildCredentials|TestTrampoline.*|TestInDirtyStart)$", "-test.v")
	cmd.Env = append(os.Environ(), "SPAWNTEST_DIRTY=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestInDirtyStart") {
		t.Fatalf("the tests in a dirty start: %v\n%s", err, out)
	}
}

// TestInDirtyStart checks that a dirty start is one, and that the
// children do not see it.
func TestInDirtyStart(t *testing.T) {
	if os.Getenv("SPAWNTEST_DIRTY") != "2" {
		t.Skip("run by TestDirtyStart")
	}
	job := uint64(1)<<(syscall.SIGTSTP-1) | 1<<(syscall.SIGTTIN-1) | 1<<(syscall.SIGTTOU-1) | 1<<(syscall.SIGHUP-1)
	if ignoredSigs&job != job || blockedSigs&(1<<(syscall.SIGUSR2-1)) == 0 || childNofile == nil || childNofile[0] != dirtyNofile {
		t.Fatalf("not a dirty start: ignored %x blocked %x nofile %v", ignoredSigs, blockedSigs, childNofile)
	}
	paths(t, func(t *testing.T) {
		for _, extra := range []*Extra{nil, {Umask: 0o027}} {
			out := runChild(t, &Spec{Extra: extra})
			want(t, out,
				"SigBlk: 0000000000000000",
				"SigIgn: 0000000000000000",
				fmt.Sprintf("nofile %d %d", dirtyNofile, childNofile[1]),
				"fds 0,1,2")
		}
	})
}

// A trampoline failure reaches ginetd on the error pipe, never the
// client: the client reads EOF, the child exits TrampolineFailed.
func TestTrampolineFailure(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, c := range []struct {
			extra *Extra
			path  string
			msg   string
		}{
			{&Extra{Umask: -1, Rlimits: []config.Rlimit{{Resource: unix.RLIMIT_NOFILE, Cur: 10, Max: 5}}}, "", "setrlimit 7 10:5: invalid argument"},
			{&Extra{Umask: 0o22}, "/nonexistent/prog", "exec /nonexistent/prog: no such file or directory"},
			{&Extra{Umask: -1, Chroot: "/nonexistent"}, "", "chroot /nonexistent: no such file or directory"},
		} {
			if c.extra.Chroot != "" && !isRoot {
				continue
			}
			out, st, msg := runFailing(t, &Spec{Path: c.path, Extra: c.extra})
			if out != "" || msg != c.msg || !st.Exited || st.Code != TrampolineFailed {
				t.Errorf("%+v: client read %q, ginetd %q, %v; want nothing, %q, exit %d", c.extra, out, msg, st, c.msg, TrampolineFailed)
			}
		}
	})
}

// runFailing is runChild for a child that is to fail in the trampoline:
// it returns what the client read, the exit and the error pipe's message.
func runFailing(t *testing.T, spec *Spec) (string, Status, string) {
	t.Helper()
	spec.Argv = []string{"child"}
	spec.Env = []string{"SPAWNTEST_CHILD=1"}
	out, ch, st := runOnPair(t, spec)
	if ch.ErrFD < 0 {
		t.Fatal("no error pipe")
	}
	defer unix.Close(ch.ErrFD)
	msg, done := ReadFailure(ch.ErrFD)
	if !done {
		t.Error("the error pipe is still open after the exit")
	}
	return out, st, msg
}

// The trampoline's arguments are checked: a bad value is an error on
// the error pipe, and nothing reaches fds 0-2.
func TestTrampolineArgs(t *testing.T) {
	exe, _ := os.Executable()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-nice", "x"}, "arguments: invalid value \"x\" for flag -nice"},
		{[]string{"-umask", "9"}, "arguments: invalid value \"9\" for flag -umask"},
		{[]string{"-rlimit", "7:1"}, "arguments: invalid value \"7:1\" for flag -rlimit"},
		{[]string{"-cred", "0:x:"}, "bad credentials \"0:x:\""},
		{[]string{"-bogus"}, "arguments: flag provided but not defined: -bogus"},
		{[]string{"--"}, "arguments: no program"},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := &exec.Cmd{Path: exe, Args: append(append([]string{TrampolineArg0, "-errfd", "3"}, c.args...), "--", "/bin/true", "true")}
		if c.args[0] == "--" {
			cmd.Args = []string{TrampolineArg0, "-errfd", "3", "--"}
		}
		cmd.ExtraFiles = []*os.File{w}
		var outErr strings.Builder
		cmd.Stdout, cmd.Stderr = &outErr, &outErr
		err = cmd.Run()
		w.Close()
		msg, _ := io.ReadAll(r)
		r.Close()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != TrampolineFailed || outErr.Len() > 0 || !strings.HasPrefix(string(msg), c.msg) {
			t.Errorf("%q: %v, client saw %q, ginetd %q; want exit %d, nothing, %q", c.args, err, outErr.String(), msg, TrampolineFailed, c.msg)
		}
	}
}

// A Go runtime failure in the trampoline goes to the error pipe too.
func TestTrampolinePanicQuiet(t *testing.T) {
	exe, _ := os.Executable()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// GODEBUG makes the runtime print to fd 2 at start; by then fd 2 is
	// not yet the pipe, which is why this checks the rule at its limit:
	// everything after Trampoline's first lines goes to the pipe.
	cmd := &exec.Cmd{Path: exe, Args: []string{TrampolineArg0, "-errfd", "3", "-nice", "1", "--", "/nonexistent", "x"}}
	cmd.ExtraFiles = []*os.File{w}
	var outErr strings.Builder
	cmd.Stdout, cmd.Stderr = &outErr, &outErr
	cmd.Run()
	w.Close()
	msg, _ := io.ReadAll(r)
	r.Close()
	if outErr.Len() > 0 || !strings.Contains(string(msg), "exec /nonexistent") {
		t.Errorf("client saw %q, ginetd %q", outErr.String(), msg)
	}
}
