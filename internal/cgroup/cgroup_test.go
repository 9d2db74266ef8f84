package cgroup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeRoot points Root at a directory of plain files and directories for
// the test: v2 with a cgroup.controllers file, else v1 with the pids,
// memory and cpu hierarchies. The kernel's checks are not there; what is
// tested is what Setup writes where.
func fakeRoot(t *testing.T, v2 bool) string {
	t.Helper()
	root := t.TempDir()
	old := Root
	Root = root
	t.Cleanup(func() { Root = old })
	if v2 {
		// baseV2 joins Root with the 0:: line of /proc/self/cgroup.
		mu.Lock()
		base := baseV2()
		mu.Unlock()
		if err := os.MkdirAll(base, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{root, base} {
			if err := os.WriteFile(filepath.Join(dir, "cgroup.controllers"), []byte("cpu memory pids"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return base
	}
	for _, c := range []string{"pids", "memory", "cpu"} {
		if err := os.Mkdir(filepath.Join(root, c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func gone(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still there after Remove (%v)", dir, err)
	}
}

// TestSetupV2Files: one group per service, named after its label, with
// the three limits written in v2 syntax ("max" for an unset one, so that
// a reload that drops a limit lifts it); the controllers are delegated.
func TestSetupV2Files(t *testing.T) {
	base := fakeRoot(t, true)
	dirs, err := Setup("web/tcp4 1.2.3.4:80", Limits{MemoryMax: "67108864", CPUMax: "50000 100000", PidsMax: "5"})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(base, "ginetd-web_tcp4_1.2.3.4_80")
	if len(dirs) != 1 || dirs[0] != want {
		t.Fatalf("dirs %q, want [%s]", dirs, want)
	}
	if got := readFile(t, filepath.Join(base, "cgroup.subtree_control")); got != "+memory +cpu +pids" {
		t.Errorf("subtree_control %q", got)
	}
	for file, v := range map[string]string{"memory.max": "67108864", "cpu.max": "50000 100000", "pids.max": "5"} {
		if got := readFile(t, filepath.Join(want, file)); got != v {
			t.Errorf("%s = %q, want %q", file, got, v)
		}
	}
	// A reload keeps only pids_max: the others are lifted.
	if _, err := Setup("web/tcp4 1.2.3.4:80", Limits{PidsMax: "7"}); err != nil {
		t.Fatal(err)
	}
	for file, v := range map[string]string{"memory.max": "max", "cpu.max": "max", "pids.max": "7"} {
		if got := readFile(t, filepath.Join(want, file)); got != v {
			t.Errorf("after the reload, %s = %q, want %q", file, got, v)
		}
	}
	// Limits that are all "max" need no group.
	if dirs, err := Setup("web/tcp4 1.2.3.4:80", Limits{MemoryMax: "max", CPUMax: "max 100000"}); err != nil || dirs != nil {
		t.Errorf("Setup with only max: %q, %v", dirs, err)
	}
	// cgroupfs removes a group with its files; here they must go first.
	for _, f := range []string{"memory.max", "cpu.max", "pids.max"} {
		os.Remove(filepath.Join(want, f))
	}
	Remove([]string{want})
	gone(t, want)
}

// TestSetupV2NotDelegated: a limit whose controller ginetd's group does
// not have (its parent did not delegate it) is an error that says so,
// and nothing is created or written; a limit whose controller is there
// is applied, and "max" needs no controller.
func TestSetupV2NotDelegated(t *testing.T) {
	base := fakeRoot(t, true)
	if err := os.WriteFile(filepath.Join(base, "cgroup.controllers"), []byte("memory"), 0o644); err != nil {
		t.Fatal(err)
	}
	dirs, err := Setup("web/tcp4", Limits{MemoryMax: "1048576", PidsMax: "5"})
	if err == nil || !strings.Contains(err.Error(), "the pids controller is not available in "+base) {
		t.Fatalf("Setup: %q, %v; want the pids controller not available", dirs, err)
	}
	if _, err := os.Stat(filepath.Join(base, "ginetd-web_tcp4")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a group for a service whose limit cannot be applied (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(base, "cgroup.subtree_control")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("subtree_control written (%v)", err)
	}
	dirs, err = Setup("web/tcp4", Limits{MemoryMax: "1048576", PidsMax: "max"})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dirs[0], "memory.max")); got != "1048576" {
		t.Errorf("memory.max %q", got)
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "pids.max")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pids.max written without the controller (%v)", err)
	}
}

// TestOwnBase: the services' groups go under ginetd's own group, or
// under the parent of the leaf it moved into (an upgraded ginetd starts
// there); a host without the v2 line (pure v1) has Root.
func TestOwnBase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0::/system.slice/ginetd.service\n", "/r/system.slice/ginetd.service"},
		{"0::/system.slice/ginetd.service/ginetd.self\n", "/r/system.slice/ginetd.service"},
		{"12:pids:/x\n0::/\n", "/r"},
		{"0::/ginetd.self\n", "/r"},
		{"0::/a/ginetd\n", "/r/a/ginetd"},
		{"4:memory:/x\n1:cpu:/\n", "/r"},
	} {
		if got := ownBase("/r", c.in); got != c.want {
			t.Errorf("ownBase(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSetupV1Files: on a v1 host each limit goes to its controller's
// hierarchy, translated: "max" is -1, cpu_max's "QUOTA PERIOD" goes to
// two files, and a controller without a limit gets no group. Limits that
// are all "max" need no group at all.
func TestSetupV1Files(t *testing.T) {
	root := fakeRoot(t, false)
	if dirs, err := Setup("web/tcp4", Limits{MemoryMax: "max", CPUMax: "max 20000"}); err != nil || dirs != nil {
		t.Fatalf("Setup with only max: %q, %v", dirs, err)
	}
	dirs, err := Setup("web/tcp4", Limits{MemoryMax: "max", CPUMax: "10000 20000"})
	if err != nil {
		t.Fatal(err)
	}
	mem := filepath.Join(root, "memory", "ginetd", "ginetd-web_tcp4")
	cpu := filepath.Join(root, "cpu", "ginetd", "ginetd-web_tcp4")
	if fmt.Sprint(dirs) != fmt.Sprint([]string{mem, cpu}) {
		t.Fatalf("dirs %q, want [%s %s]", dirs, mem, cpu)
	}
	for path, v := range map[string]string{
		filepath.Join(mem, "memory.limit_in_bytes"): "-1",
		filepath.Join(cpu, "cpu.cfs_quota_us"):      "10000",
		filepath.Join(cpu, "cpu.cfs_period_us"):     "20000",
	} {
		if got := readFile(t, path); got != v {
			t.Errorf("%s = %q, want %q", path, got, v)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "pids", "ginetd", "ginetd-web_tcp4")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a pids group without pids_max (%v)", err)
	}
	if dirs, err = Setup("web/tcp4", Limits{PidsMax: "3", CPUMax: "30000"}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(root, "pids", "ginetd", "ginetd-web_tcp4", "pids.max")); got != "3" {
		t.Errorf("pids.max %q", got)
	}
	if got := readFile(t, filepath.Join(cpu, "cpu.cfs_quota_us")); got != "30000" {
		t.Errorf("quota without a period: %q", got)
	}
	for _, d := range append(dirs, mem) {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			os.Remove(filepath.Join(d, e.Name()))
		}
	}
	Remove(append(dirs, mem))
	for _, c := range []string{"pids", "memory", "cpu"} {
		gone(t, filepath.Join(root, c, "ginetd", "ginetd-web_tcp4"))
	}
}

// TestPidsLimitReal: on the host's own cgroup file system (root only), a
// process in a service's group with pids_max 1 cannot fork; Remove takes
// the group away once the process has gone, and leaves it while it runs.
func TestPidsLimitReal(t *testing.T) {
	if err := Applicable(Limits{PidsMax: "1"}); err != nil {
		t.Skip(err)
	}
	svc := fmt.Sprintf("cgroup-test/tcp4 %d", os.Getpid())
	dirs, err := Setup(svc, Limits{PidsMax: "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer Remove(dirs)
	var dir string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pids.max")); err == nil {
			dir = d
		}
	}
	if dir == "" {
		t.Fatalf("no group with pids.max in %q", dirs)
	}
	if got := readFile(t, filepath.Join(dir, "pids.max")); got != "1" {
		t.Fatalf("pids.max %q, want 1", got)
	}

	// A shell that waits for a line, then forks /bin/true.
	cmd := exec.Command("/bin/sh", "-c", `read x; /bin/true || echo fork-failed`)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	Remove(dirs) // it holds a process: the kernel keeps it
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("group removed under its process: %v", err)
	}
	stdin.Write([]byte("go\n"))
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the shell did not end")
	}
	// The shell reports the failed fork and gives up, or goes on.
	if s := out.String(); werr == nil && !strings.Contains(s, "fork-failed") {
		t.Errorf("a process under pids_max 1 forked: %q", s)
	}
	Remove(dirs)
	gone(t, dir)
}

// TestOurs: ginetd moves only itself and its descendants into its leaf;
// a process that has exited is nobody's.
func TestOurs(t *testing.T) {
	// A shell with a child of its own: a child and a grandchild.
	cmd := exec.Command("/bin/sh", "-c", "sleep 60 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var grandchild int
	if _, err := fmt.Fscan(out, &grandchild); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(grandchild, syscall.SIGKILL)
	for _, c := range []struct {
		what      string
		pid       int
		yes, gone bool
	}{
		{"ginetd", os.Getpid(), true, false},
		{"a child", cmd.Process.Pid, true, false},
		{"a grandchild", grandchild, true, false},
		{"its parent", os.Getppid(), false, false},
	} {
		if yes, gone := ours(c.pid); yes != c.yes || gone != c.gone {
			t.Errorf("ours(%s) = %v, %v; want %v, %v", c.what, yes, gone, c.yes, c.gone)
		}
	}
	// A pid that is no process (above pid_max's ceiling).
	if yes, gone := ours(1 << 23); yes || !gone {
		t.Errorf("ours(no process) = %v, %v; want false, true", yes, gone)
	}
}
