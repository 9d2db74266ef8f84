package cgroup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The real cgroup v2 tests run helpers: this test binary again, as root,
// in a private mount namespace where it mounts the v2 hierarchy on
// /sys/fs/cgroup, so that they see v2 as ginetd on a unified host does,
// even on a v1 host (whose v1 hierarchies stay mounted for the other
// tests). The v2 hierarchy itself is the host's: each helper works in a
// group of its own under the root, ginetd-test-PID, and removes it.
//
// A helper writes its findings to stdout: "error: ..." lines, "skip: ..."
// if it cannot run here, and "ok" when it is done.
const helperEnv = "GINETD_CGROUP_HELPER"

func TestMain(m *testing.M) {
	if s := os.Getenv(helperEnv); s != "" {
		os.Exit(helper(s))
	}
	os.Exit(m.Run())
}

// runHelper runs scenario in a helper and reports its findings.
func runHelper(t *testing.T, scenario string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting cgroup2 needs root")
	}
	// One helper at a time on this host: they may enable and disable a
	// controller in the root group, which is not theirs alone.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "ginetd-cgroup-v2-test.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+scenario)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if _, ran := err.(*exec.ExitError); err != nil && !ran && ctx.Err() == nil {
		t.Skipf("cannot start a helper in a mount namespace of its own: %v", err)
	}
	s := string(out)
	if skip, ok := strings.CutPrefix(s, "skip: "); ok {
		t.Skip(strings.TrimSpace(skip))
	}
	for _, l := range strings.Split(s, "\n") {
		if e, ok := strings.CutPrefix(l, "error: "); ok {
			t.Error(e)
		}
	}
	if err != nil || !strings.HasSuffix(s, "ok\n") {
		t.Errorf("helper %s: %v\n%s", scenario, err, s)
	}
}

// TestV2Placement: ginetd in a group of its own that has processes (as
// under a service manager): the first service's Setup moves it, and a
// process already in its group (a child of a service without caps), into
// the leaf ginetd.self, and enables the controller; every service's group,
// at start and at a reload, goes beside the leaf, never deeper; children
// join them; a ginetd started in the leaf (an upgrade) finds the same
// groups; Remove removes them. Before the fix, each Setup read ginetd's
// group again and went one level deeper (ginetd/ginetd/...).
func TestV2Placement(t *testing.T) { runHelper(t, "placement") }

// TestV2Root: ginetd in the root group, which may have processes and
// controllers both: it stays there, and the services' groups are
// top-level groups.
func TestV2Root(t *testing.T) { runHelper(t, "root") }

// TestV2NotDelegated: ginetd in a group whose parent has not delegated
// the controller to it: Setup fails, naming the controller and the group,
// and moves nothing.
func TestV2NotDelegated(t *testing.T) { runHelper(t, "nodeleg") }

// TestV2Stranger: ginetd's group holds a process that is not ginetd's
// (as when it is started from a shell as root, in the shell's session
// group): Applicable and Setup fail, naming it, and nothing is moved, the
// other process least of all.
func TestV2Stranger(t *testing.T) { runHelper(t, "stranger") }

// A helper's failures are collected in errs.
type findings struct{ errs []string }

func (f *findings) errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// fatal is raised (panicked) to end a helper scenario early.
type fatal struct{}

func (f *findings) fatalf(format string, args ...any) {
	f.errorf(format, args...)
	panic(fatal{})
}

func helper(scenario string) int {
	if scenario == "upgraded" {
		return upgraded()
	}
	if err := syscall.Mount("none", Root, "cgroup2", 0, ""); err != nil {
		fmt.Printf("skip: mount -t cgroup2 none %s: %v\n", Root, err)
		return 0
	}
	var f findings
	func() {
		defer func() {
			if r := recover(); r != nil && r != (fatal{}) {
				panic(r)
			}
		}()
		lim, check, skip := standIn()
		if skip != "" {
			fmt.Printf("skip: %s\n", skip)
			os.Exit(0)
		}
		if scenario == "root" && !isRoot(Root) {
			fmt.Printf("skip: %s is the root of a cgroup namespace, not of the hierarchy\n", Root)
			os.Exit(0)
		}
		// The controller must be enabled in the root group for the
		// groups below it; the helper undoes what it enabled.
		c := knobs[len(knobs)-1].controller
		ctl := filepath.Join(Root, "cgroup.subtree_control")
		if !slices.Contains(list(ctl), c) {
			if err := os.WriteFile(ctl, []byte("+"+c), 0); err != nil {
				fmt.Printf("skip: enable %s in the root group: %v\n", c, err)
				os.Exit(0)
			}
			defer func() {
				if err := os.WriteFile(ctl, []byte("-"+c), 0); err != nil {
					f.errorf("disable %s in the root group again: %v", c, err)
				}
			}()
		}
		switch scenario {
		case "placement":
			placement(&f, lim, check)
		case "root":
			inRoot(&f, lim, check)
		case "nodeleg":
			notDelegated(&f, lim)
		case "stranger":
			strangerInGroup(&f, lim)
		default:
			f.errorf("no scenario %q", scenario)
		}
	}()
	for _, e := range f.errs {
		fmt.Printf("error: %s\n", strings.ReplaceAll(e, "\n", " | "))
	}
	fmt.Println("ok")
	return 0
}

// standIn returns the limits a helper sets and the file and value that
// show them applied: pids_max with the pids controller if the v2
// hierarchy has it. On a v1 host it has not (pids is bound to its v1
// hierarchy), and the hugetlb controller stands in for it: where the
// groups and processes go does not depend on the controller.
func standIn() (Limits, [2]string, string) {
	avail := list(filepath.Join(Root, "cgroup.controllers"))
	switch {
	case slices.Contains(avail, "pids"):
		knobs = knobs[2:] // pids only
		return Limits{PidsMax: "5"}, [2]string{"pids.max", "5"}, ""
	case slices.Contains(avail, "hugetlb"):
		if _, err := os.Stat("/sys/kernel/mm/hugepages/hugepages-2048kB"); err != nil {
			return Limits{}, [2]string{}, "no pids controller in cgroup v2, and no 2MB huge pages for hugetlb to stand in"
		}
		os.Setenv("GINETD_CGROUP_STANDIN", "hugetlb")
		knobs = []knob{{"hugetlb", "hugetlb.2MB.max", func(l Limits) string { return l.PidsMax }}}
		return Limits{PidsMax: "4194304"}, [2]string{"hugetlb.2MB.max", "4194304"}, ""
	}
	return Limits{}, [2]string{}, fmt.Sprintf("cgroup v2 has neither pids nor hugetlb (%q)", avail)
}

// ownGroup is the v2 group of process pid ("self" for the caller), as a
// directory under Root.
func ownGroup(f *findings, pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		f.fatalf("%v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return filepath.Join(Root, p)
		}
	}
	f.fatalf("no v2 line in /proc/%s/cgroup: %q", pid, b)
	return ""
}

// join moves process pid ("self" or a number) into dir.
func join(f *findings, dir, pid string) {
	if pid == "self" {
		pid = strconv.Itoa(os.Getpid())
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(pid), 0); err != nil {
		f.fatalf("move %s into %s: %v", pid, dir, err)
	}
}

// sandbox creates ginetd-test-PID under the root group and returns it,
// with a function that moves the helper back where it was and removes
// the groups below and the sandbox.
func sandbox(f *findings) (string, func()) {
	was := ownGroup(f, "self")
	dir := filepath.Join(Root, fmt.Sprintf("ginetd-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		f.fatalf("%v", err)
	}
	return dir, func() {
		join(f, was, "self")
		// Children first: walk, then remove in reverse.
		var dirs []string
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for _, d := range slices.Backward(dirs) {
			if err := os.Remove(d); err != nil {
				f.errorf("remove %s: %v", d, err)
			}
		}
	}
}

// sleeper starts a process that lives until the returned function ends
// it, in the helper's group or, if dir is not empty, moved into dir.
func sleeper(f *findings, dir string) (string, func()) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		f.fatalf("%v", err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(pid), 0); err != nil {
			stop()
			f.fatalf("child into %s: %v", dir, err)
		}
	}
	return pid, stop
}

func placement(f *findings, lim Limits, check [2]string) {
	s, clean := sandbox(f)
	defer clean()
	join(f, s, "self")
	leafDir := filepath.Join(s, leaf)
	// A child of a service without caps, in ginetd's group.
	other, stop := sleeper(f, "")
	defer stop()
	if err := Applicable(lim); err != nil {
		f.errorf("Applicable: %v", err)
	}

	svcs := []string{fmt.Sprintf("a/tcp4 %d", os.Getpid()), fmt.Sprintf("b/tcp4 %d", os.Getpid())}
	var dirs []string
	for load := 0; load < 2; load++ { // the start, and a reload
		for i, svc := range svcs {
			d, err := Setup(svc, lim)
			if err != nil {
				f.fatalf("load %d: Setup(%s): %v", load, svc, err)
			}
			want := filepath.Join(s, name(svc))
			if len(d) != 1 || d[0] != want {
				f.errorf("load %d: Setup(%s) = %q, want [%s]", load, svc, d, want)
			}
			if load == 0 {
				dirs = append(dirs, d...)
			} else if len(d) == 1 && d[0] != dirs[i] {
				f.errorf("the reload moved %s from %s to %s", svc, dirs[i], d[0])
			}
			if got := ownGroup(f, "self"); got != leafDir {
				f.errorf("load %d, after %s: ginetd is in %s, want %s", load, svc, got, leafDir)
			}
		}
	}
	if got := ownGroup(f, other); got != leafDir {
		f.errorf("the child of a service without caps is in %s, want %s", got, leafDir)
	}
	if _, err := os.Stat(filepath.Join(leafDir, leaf)); err == nil {
		f.errorf("a leaf in the leaf: %s", filepath.Join(leafDir, leaf))
	}
	if got := list(filepath.Join(s, "cgroup.subtree_control")); !slices.Contains(got, knobs[0].controller) {
		f.errorf("%s not enabled in %s: %q", knobs[0].controller, s, got)
	}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, check[0]))
		if got := strings.TrimSpace(string(b)); err != nil || got != check[1] {
			f.errorf("%s/%s = %q (%v), want %s", d, check[0], got, err, check[1])
		}
		pid, stop := sleeper(f, d)
		if got := ownGroup(f, pid); got != d {
			f.errorf("a child of %s is in %s", d, got)
		}
		stop()
	}

	// An upgraded ginetd starts in the leaf, as the old one's child, and
	// finds the same groups.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=upgraded")
	cmd.Args = append(cmd.Args, svcs...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		f.errorf("upgraded ginetd: %v: %s", err, out)
	}
	var lines []string
	for sc := bufio.NewScanner(strings.NewReader(string(out))); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	if want := append(append([]string{leafDir}, dirs...), leafDir); !slices.Equal(lines, want) {
		f.errorf("upgraded ginetd: its group and the services' %q, want %q", lines, want)
	}

	Remove(dirs)
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			f.errorf("%s still there after Remove (%v)", d, err)
		}
	}
}

// upgraded is the new ginetd of an upgrade: it prints its group, the
// group of each service in its arguments (after -test.run), and its
// group again.
func upgraded() int {
	if os.Getenv("GINETD_CGROUP_STANDIN") == "hugetlb" {
		knobs = []knob{{"hugetlb", "hugetlb.2MB.max", func(l Limits) string { return l.PidsMax }}}
	} else {
		knobs = knobs[2:]
	}
	var f findings
	fmt.Println(ownGroup(&f, "self"))
	for _, svc := range os.Args[2:] {
		d, err := Setup(svc, Limits{PidsMax: "4194304"})
		if err != nil || len(d) != 1 {
			fmt.Fprintf(os.Stderr, "Setup(%s): %q, %v\n", svc, d, err)
			return 1
		}
		fmt.Println(d[0])
	}
	fmt.Println(ownGroup(&f, "self"))
	return 0
}

func inRoot(f *findings, lim Limits, check [2]string) {
	was := ownGroup(f, "self")
	join(f, Root, "self")
	defer join(f, was, "self")
	svc := fmt.Sprintf("root/tcp4 %d", os.Getpid())
	d, err := Setup(svc, lim)
	if err != nil {
		f.fatalf("Setup: %v", err)
	}
	defer Remove(d)
	if want := filepath.Join(Root, name(svc)); len(d) != 1 || d[0] != want {
		f.fatalf("Setup = %q, want [%s]", d, want)
	}
	if got := ownGroup(f, "self"); got != Root {
		f.errorf("ginetd moved from the root group to %s", got)
	}
	b, err := os.ReadFile(filepath.Join(d[0], check[0]))
	if got := strings.TrimSpace(string(b)); err != nil || got != check[1] {
		f.errorf("%s/%s = %q (%v), want %s", d[0], check[0], got, err, check[1])
	}
	pid, stop := sleeper(f, d[0])
	if got := ownGroup(f, pid); got != d[0] {
		f.errorf("a child of %s is in %s", d[0], got)
	}
	stop()
}

func notDelegated(f *findings, lim Limits) {
	s, clean := sandbox(f)
	defer clean()
	run := filepath.Join(s, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		f.fatalf("%v", err)
	}
	join(f, run, "self")
	svc := fmt.Sprintf("c/tcp4 %d", os.Getpid())
	want := fmt.Sprintf("the %s controller is not available in %s", knobs[0].controller, run)
	if err := Applicable(lim); err == nil || !strings.Contains(err.Error(), want) {
		f.errorf("Applicable: %v; want an error: %s", err, want)
	}
	d, err := Setup(svc, lim)
	if err == nil || !strings.Contains(err.Error(), want) {
		f.errorf("Setup = %q, %v; want an error: %s", d, err, want)
	}
	if got := ownGroup(f, "self"); got != run {
		f.errorf("ginetd moved to %s", got)
	}
	for _, p := range []string{filepath.Join(run, leaf), filepath.Join(run, name(svc))} {
		if _, err := os.Stat(p); err == nil {
			f.errorf("%s created", p)
		}
	}
}

func strangerInGroup(f *findings, lim Limits) {
	s, clean := sandbox(f)
	defer clean()
	join(f, s, "self")
	// An orphan: its shell has exited, it is not the helper's descendant.
	out, err := exec.Command("sh", "-c", "sleep 60 </dev/null >/dev/null 2>&1 & echo $!").Output()
	if err != nil {
		f.fatalf("sh: %v", err)
	}
	pid := strings.TrimSpace(string(out))
	n, _ := strconv.Atoi(pid)
	defer func() {
		syscall.Kill(n, syscall.SIGKILL)
		// It leaves the group as it exits.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if b, _ := os.ReadFile(filepath.Join(s, "cgroup.procs")); !slices.Contains(strings.Fields(string(b)), pid) {
				return
			}
		}
		f.errorf("process %s still in %s", pid, s)
	}()
	join(f, s, pid)
	want := fmt.Sprintf("%s holds process %s (sleep), which is not ginetd's", s, pid)
	if err := Applicable(lim); err == nil || !strings.Contains(err.Error(), want) {
		f.errorf("Applicable: %v; want an error: %s", err, want)
	}
	svc := fmt.Sprintf("d/tcp4 %d", os.Getpid())
	if d, err := Setup(svc, lim); err == nil || !strings.Contains(err.Error(), want) {
		f.errorf("Setup = %q, %v; want an error: %s", d, err, want)
	}
	for _, p := range []string{"self", pid} {
		if got := ownGroup(f, p); got != s {
			f.errorf("process %s moved to %s", p, got)
		}
	}
	if _, err := os.Stat(filepath.Join(s, leaf)); err == nil {
		f.errorf("%s created", filepath.Join(s, leaf))
	}
}
