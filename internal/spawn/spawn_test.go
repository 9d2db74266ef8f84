package spawn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/spawn/startlimit"
)

// The test binary doubles as the child: with SPAWNTEST_CHILD set it
// reports its process state on fd 1 and exits.
func TestMain(m *testing.M) {
	if os.Args[0] == TrampolineArg0 {
		Trampoline(os.Args[1:])
	}
	if os.Getenv("SPAWNTEST_CHILD") != "" {
		reportChild()
		os.Exit(0)
	}
	if os.Getenv("SPAWNTEST_DIRTY") == "1" {
		dirty()
	}
	// As ginetd does at start: what this process inherited is not the
	// children's.
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if fd, _ := strconv.Atoi(e.Name()); fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
	if err := SetupSIGCHLD(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func reportChild() {
	// The descriptors first, with raw calls, before the runtime opens its
	// poller's; without the listing's own and those the runtime opened at
	// start to read the CPU quota.
	var fds []string
	if d, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY, 0); err == nil {
		buf := make([]byte, 4096)
		n, _ := unix.Getdents(d, buf)
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, n := range names {
			l, _ := os.Readlink("/proc/self/fd/" + n)
			if n != strconv.Itoa(d) && !strings.HasPrefix(l, "/sys/fs/cgroup/") {
				fds = append(fds, n)
			}
		}
		unix.Close(d)
	}
	var b strings.Builder
	if soft, hard, ok := startlimit.Nofile(); ok {
		fmt.Fprintf(&b, "nofile %d %d\n", soft, hard)
	}
	st, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(st), "\n") {
		for _, k := range []string{"SigBlk:", "SigIgn:", "Uid:", "Gid:", "Groups:", "Umask:"} {
			if strings.HasPrefix(l, k) {
				fmt.Fprintln(&b, strings.Join(strings.Fields(l), " "))
			}
		}
	}
	sid, _ := unix.Getsid(0)
	wd, _ := os.Getwd()
	fmt.Fprintf(&b, "fds %s\nsession-leader %v\nwd %s\nenv %s\nargv %s\n",
		strings.Join(fds, ","), sid == os.Getpid(), wd, strings.Join(os.Environ(), ","), strings.Join(os.Args[1:], ","))
	os.Stdout.WriteString(b.String())
}

// paths runs f once with the clone3 path and once with syscall.ForkExec:
// both must give children the same state.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Run("clone3", func(t *testing.T) {
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			t.Skip("the clone3 path is linux/amd64 only")
		}
		f(t)
		if fastBroken.Load() {
			t.Fatal("the kernel refused clone3: the test ran ForkExec")
		}
	})
	t.Run("forkexec", func(t *testing.T) {
		fastBroken.Store(true)
		defer fastBroken.Store(false)
		f(t)
	})
}

// runChild starts the test binary as a child on one end of a socketpair
// (its fds 0, 1 and 2) and returns what it reported.
func runChild(t *testing.T, spec *Spec) string {
	t.Helper()
	if spec.Argv == nil {
		spec.Argv = []string{"child"}
	}
	spec.Env = append(spec.Env, "SPAWNTEST_CHILD=1")
	out, ch, st := runOnPair(t, spec)
	if ch.ErrFD >= 0 {
		msg, _ := ReadFailure(ch.ErrFD)
		unix.Close(ch.ErrFD)
		if msg != "" {
			t.Errorf("trampoline: %s", msg)
		}
	}
	if !st.Success() {
		t.Fatalf("child: %v; output:\n%s", st, out)
	}
	return out
}

// runOnPair starts spec (the test binary when it names no path) on one end
// of a socketpair as its fds 0, 1 and 2, and returns what the other end
// read until the child closed it, the child and its exit status. The
// error pipe, if any, is the caller's to read and close.
func runOnPair(t *testing.T, spec *Spec) (string, Child, Status) {
	t.Helper()
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Move the child's end above 2 and away from the lowest free slots,
	// as an accepted connection is.
	fd, err := unix.FcntlInt(uintptr(sp[1]), unix.F_DUPFD_CLOEXEC, 20)
	unix.Close(sp[1])
	if err != nil {
		unix.Close(sp[0])
		t.Fatal(err)
	}
	if spec.Path == "" {
		spec.Path, _ = os.Executable()
	}
	spec.Files = []int{fd, fd, fd}
	ch, err := Start(spec)
	unix.Close(fd)
	if err != nil {
		unix.Close(sp[0])
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(sp[0]), "parent")
	defer f.Close()
	f.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), ch, waitFor(t, ch)
}

// nullFD opens /dev/null at fd 20 or above (away from 0–2, as an
// accepted connection is), closed when tb ends.
func nullFD(tb testing.TB) int {
	tb.Helper()
	fd, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 20)
	unix.Close(fd)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Close(high) })
	return high
}

// waitFor reaps ch, through its pidfd when it has one.
func waitFor(t *testing.T, ch Child) Status {
	t.Helper()
	if ch.PidFD >= 0 {
		defer unix.Close(ch.PidFD)
		fds := []unix.PollFd{{Fd: int32(ch.PidFD), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 10000); n != 1 {
			t.Fatalf("pidfd never became readable: %v", err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := Reap(ch.Pid)
		if err == nil {
			return st
		}
		if !errors.Is(err, ErrNotExited) || time.Now().After(deadline) {
			t.Fatalf("reap %d: %v", ch.Pid, err)
		}
		time.Sleep(time.Millisecond)
	}
}

func want(t *testing.T, out string, lines ...string) {
	t.Helper()
	have := strings.Split(out, "\n")
	for _, l := range lines {
		found := false
		for _, h := range have {
			if h == l {
				found = true
			}
		}
		if !found {
			t.Errorf("child did not report %q; it reported:\n%s", l, out)
		}
	}
}

func TestChildState(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, pidfd := range []bool{false, true} {
			out := runChild(t, &Spec{Argv: []string{"child", "a b", ""}, Env: []string{"X=1"}, PidFD: pidfd, Dir: "/"})
			want(t, out,
				"SigBlk: 0000000000000000",
				"SigIgn: 0000000000000000",
				"fds 0,1,2",
				"session-leader true",
				"wd /",
				"env X=1,SPAWNTEST_CHILD=1",
				"argv a b,")
		}
	})
}

// A blocked signal in the spawning thread is not the child's. (ForkExec
// passes the thread's mask on; ginetd's threads block nothing.)
func TestChildMaskEmptyFromBlockedThread(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the clone3 path is linux/amd64 only")
	}
	{
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var set, old unix.Sigset_t
		set.Val[0] = 1 << (uint(syscall.SIGUSR1) - 1)
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
			t.Fatal(err)
		}
		defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
		want(t, runChild(t, &Spec{}), "SigBlk: 0000000000000000")
	}
}

func TestChildCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change identity")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// nobody cannot reach the test binary in go test's 0700 directory.
	dir, err := os.MkdirTemp("", "spawntest")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	self, _ := os.Executable()
	exe := dir + "/child"
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	paths(t, func(t *testing.T) {
		for _, groups := range [][]uint32{nil, {uint32(gid), 4242}} {
			out := runChild(t, &Spec{Path: exe, Cred: &config.Cred{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}})
			gs := ""
			for _, g := range slices.Sorted(slices.Values(groups)) {
				gs += " " + strconv.Itoa(int(g))
			}
			want(t, out,
				fmt.Sprintf("Uid: %d %d %d %d", uid, uid, uid, uid),
				fmt.Sprintf("Gid: %d %d %d %d", gid, gid, gid, gid),
				"Groups:"+gs)
		}
	})
}

// An exec failure is an error naming errno, and leaves no zombie behind.
func TestExecFailure(t *testing.T) {
	paths(t, func(t *testing.T) {
		if fastBroken.Load() && startDirty() {
			// Started with signals ignored or blocked (nohup, a careless
			// shell), the fallback runs through the trampoline, whose exec
			// failure comes on its error pipe: TestTrampolineFailure.
			t.Skip("dirty start: the ForkExec fallback goes through the trampoline")
		}
		fd := nullFD(t)
		for _, path := range []string{"/nonexistent/prog", "/dev/null", "/"} {
			for _, pidfd := range []bool{false, true} {
				_, err := Start(&Spec{Path: path, Argv: []string{"x"}, Files: []int{fd, fd, fd}, PidFD: pidfd})
				if err == nil {
					t.Fatalf("%s started", path)
				}
				var errno syscall.Errno
				if !errors.As(err, &errno) || !strings.Contains(err.Error(), path) {
					t.Errorf("%s: error %v: want the path and an errno", path, err)
				}
			}
		}
		if pid, st := ReapAny(); pid != 0 {
			t.Errorf("a failed child was left to reap: pid %d %v", pid, st)
		}
	})
}

// A source among the target numbers (ginetd's own fd 2 handed on as the
// child's fd 0) takes the ForkExec path, which shuffles them safely.
func TestLowSourceFD(t *testing.T) {
	paths(t, func(t *testing.T) {
		sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(sp[0])
		exe, _ := os.Executable()
		ch, err := Start(&Spec{Path: exe, Argv: []string{"child"}, Env: []string{"SPAWNTEST_CHILD=1"}, Files: []int{2, sp[1], sp[1]}})
		unix.Close(sp[1])
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := unix.Read(sp[0], buf)
			if n <= 0 || err != nil {
				break
			}
			out.Write(buf[:n])
		}
		waitFor(t, ch)
		want(t, out.String(), "session-leader true", "fds 0,1,2")
	})
}

// BenchmarkStart measures what starting (and reaping) a child costs
// ginetd's side: cpu-us/op is the parent's CPU time per child, the figure
// the connection path pays; compare the clone3 and forkexec rows of one
// run.
func BenchmarkStart(b *testing.B) {
	prog := "/bin/true"
	if _, err := os.Stat(prog); err != nil {
		b.Skip(prog, err)
	}
	fd := nullFD(b)
	run := func(b *testing.B) {
		var r0, r1 unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &r0)
		for b.Loop() {
			ch, err := Start(&Spec{Path: prog, Argv: []string{"true"}, Env: []string{"PATH=/bin"}, Files: []int{fd, fd, fd}})
			if err != nil {
				b.Fatal(err)
			}
			var ws unix.WaitStatus
			unix.Wait4(ch.Pid, &ws, 0, nil)
		}
		unix.Getrusage(unix.RUSAGE_SELF, &r1)
		cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	}
	b.Run("clone3", func(b *testing.B) {
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			b.Skip("linux/amd64 only")
		}
		run(b)
	})
	b.Run("forkexec", func(b *testing.B) {
		fastBroken.Store(true)
		defer fastBroken.Store(false)
		run(b)
	})
}

// A NUL inside a string cannot reach execve: EINVAL, as from ForkExec.
func TestNULInString(t *testing.T) {
	paths(t, func(t *testing.T) {
		fd := nullFD(t)
		for _, spec := range []Spec{
			{Path: "/bin/true", Argv: []string{"tr\x00ue"}},
			{Path: "/bin/true", Argv: []string{"true"}, Env: []string{"A=1", "B=\x00"}},
			{Path: "/bin/tr\x00ue", Argv: []string{"true"}},
		} {
			spec.Files = []int{fd, fd, fd}
			if _, err := Start(&spec); !errors.Is(err, syscall.EINVAL) {
				t.Errorf("%q %q: %v, want EINVAL", spec.Argv, spec.Env, err)
			}
		}
	})
}
