// Package cgroup owns the control groups ginetd creates for services with
// memory_max, cpu_max or pids_max: one group per service under ginetd's own,
// created (by the loader, before the configuration is applied) and updated
// at every load, and removed with the service. Children join
// their service's group before exec (through spawn's trampoline), so every
// process a service starts counts against its limits.
//
// cgroup v2 is used where /sys/fs/cgroup is the unified hierarchy; on a
// cgroup v1 host the pids, memory and cpu controllers' own hierarchies are
// used (pids.max, memory.limit_in_bytes, cpu.cfs_quota_us). Available and
// Applicable say whether limits can be applied here, and if not, why;
// Setup fails where a limit cannot be applied, and the loader then leaves
// the service out (ginetd.conf(5), memory_max).
//
// On cgroup v2, ginetd's own group (the base of the services' groups) is
// read from /proc/self/cgroup once and kept. Controllers can be enabled
// for child groups only in a group without processes of its own, so the
// first time one must be, ginetd moves itself, and its descendants that
// share its group, into the leaf ginetd.self beside the services' groups;
// a process of another in its group makes that an error.
// A ginetd started in that leaf (the new one of an upgrade, ginetd(8))
// takes its parent as the base, so groups never nest deeper.
package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Limits are a service's resource caps, in cgroup v2 syntax: memory_max
// in bytes or "max", cpu_max as "QUOTA PERIOD" (µs) or "max", pids_max a
// count or "max". Empty means no limit.
type Limits struct {
	MemoryMax, CPUMax, PidsMax string
}

// Empty reports whether no limit is set.
func (l Limits) Empty() bool { return l.MemoryMax == "" && l.CPUMax == "" && l.PidsMax == "" }

// Limited reports whether a limit is set to something other than "max"
// (for cpu_max, a quota other than "max"): only then is there a cap to
// apply, and a service group to create.
func (l Limits) Limited() bool {
	return limited(l.MemoryMax) || limited(l.CPUMax) || limited(l.PidsMax)
}

func limited(v string) bool {
	return v != "" && v != "max" && !strings.HasPrefix(v, "max ")
}

// Root is the cgroup file system; tests may point it elsewhere.
var Root = "/sys/fs/cgroup"

// Available reports whether ginetd can create service cgroups here, and
// if not, why: it needs root and a writable hierarchy. It looks at the
// hierarchy only, so that `ginetd check` (in a cgroup of its own, a
// shell's) answers for the daemon too; Applicable says more.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("cgroups need root")
	}
	if v2() {
		mu.Lock()
		defer mu.Unlock()
		return writable(baseV2())
	}
	for _, c := range []string{"pids", "memory", "cpu"} {
		if err := writable(filepath.Join(Root, c)); err != nil {
			return err
		}
	}
	return nil
}

// Applicable reports whether Setup can apply the limits l in this
// process, and if not, why: Available, and on cgroup v2 what Setup needs
// of the process's own group: the controllers of l, and, where they must
// still be enabled there, no processes but its own and its descendants.
func Applicable(l Limits) error {
	if err := Available(); err != nil || !v2() {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	base := baseV2()
	_, missing, err := lacking(base, needs(l))
	if err != nil || len(missing) == 0 || isRoot(base) {
		return err
	}
	return stranger(base)
}

func v2() bool {
	_, err := os.Stat(filepath.Join(Root, "cgroup.controllers"))
	return err == nil
}

func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".ginetd-probe")
	if err == nil {
		f.Close()
		os.Remove(f.Name())
		return nil
	}
	// cgroupfs refuses regular files; a directory we may create is enough.
	d, derr := os.MkdirTemp(dir, ".ginetd-probe")
	if derr != nil {
		return fmt.Errorf("cgroup hierarchy %s is not writable: %v", dir, derr)
	}
	os.Remove(d)
	return nil
}

// leaf is the group, in its own group, that ginetd moves into on cgroup
// v2 to enable controllers for the services' groups beside it.
const leaf = "ginetd.self"

var (
	mu   sync.Mutex // serializes the v2 base and its subtree_control
	self struct {
		root, base string // Root when base was read, and the base
	}
)

// baseV2 is the directory under which the services' groups go in the v2
// hierarchy: ginetd's own group as it was when first asked, or the
// parent of the leaf ginetd started in. It is read once (per Root), so
// moving into the leaf changes nothing. The caller holds mu.
func baseV2() string {
	if self.base == "" || self.root != Root {
		b, _ := os.ReadFile("/proc/self/cgroup")
		self.root, self.base = Root, ownBase(Root, string(b))
	}
	return self.base
}

// ownBase is the base for a /proc/PID/cgroup text: the group of its v2
// line ("0::PATH") under root, or that group's parent if it is a leaf.
func ownBase(root, procCgroup string) string {
	for _, l := range strings.Split(procCgroup, "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			dir := filepath.Join(root, p)
			if filepath.Base(dir) == leaf && dir != root {
				dir = filepath.Dir(dir)
			}
			return dir
		}
	}
	return root
}

// name makes a service label a directory name.
func name(svc string) string {
	return "ginetd-" + strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(svc)
}

// Setup creates (or updates) the cgroup(s) of service svc with limits l and
// returns the directories a child must join. Limits that are all "max"
// need no group: Setup returns none. An error means that a limit l sets
// cannot be applied.
func Setup(svc string, l Limits) ([]string, error) {
	if !l.Limited() {
		return nil, nil
	}
	if v2() {
		return setupV2(svc, l)
	}
	return setupV1(svc, l)
}

// knob is a limit's file in cgroup v2 and the controller that has it.
type knob struct {
	controller, file string
	value            func(Limits) string
}

// knobs are the limits in the order they are written; tests may stand
// in another controller where this host has none of these in v2.
var knobs = []knob{
	{"memory", "memory.max", func(l Limits) string { return l.MemoryMax }},
	{"cpu", "cpu.max", func(l Limits) string { return l.CPUMax }},
	{"pids", "pids.max", func(l Limits) string { return l.PidsMax }},
}

func setupV2(svc string, l Limits) ([]string, error) {
	mu.Lock()
	defer mu.Unlock()
	base := baseV2()
	on, err := enable(base, needs(l))
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(base, name(svc))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	for _, k := range knobs {
		if !slices.Contains(on, k.controller) {
			continue // no limit from it: enable made sure
		}
		v := k.value(l)
		if v == "" {
			v = "max" // a reload that drops a limit lifts it
		}
		if err := os.WriteFile(filepath.Join(dir, k.file), []byte(v), 0); err != nil {
			return nil, fmt.Errorf("%s: %w", k.file, err)
		}
	}
	return []string{dir}, nil
}

// needs lists the controllers of the limits l sets.
func needs(l Limits) []string {
	var need []string
	for _, k := range knobs {
		if limited(k.value(l)) {
			need = append(need, k.controller)
		}
	}
	return need
}

// lacking returns the controllers enabled for the children of base, and
// those of need that are not. A controller the parent of base has not
// delegated to it is an error.
func lacking(base string, need []string) (on, missing []string, err error) {
	on = list(filepath.Join(base, "cgroup.subtree_control"))
	for _, c := range need {
		if !slices.Contains(on, c) {
			missing = append(missing, c)
		}
	}
	avail := list(filepath.Join(base, "cgroup.controllers"))
	for _, c := range missing {
		if !slices.Contains(avail, c) {
			return nil, nil, fmt.Errorf("the %s controller is not available in %s (its cgroup.controllers: %q): "+
				"the parent group must enable it in its cgroup.subtree_control, delegating it to ginetd", c, base, strings.Join(avail, " "))
		}
	}
	return on, missing, nil
}

// enable makes sure that the controllers need are enabled for the
// children of base and returns those that are. The caller holds mu.
func enable(base string, need []string) ([]string, error) {
	on, missing, err := lacking(base, need)
	if err != nil || len(missing) == 0 {
		return on, err
	}
	on = append(on, missing...)
	ctl := "+" + strings.Join(on, " +")
	ctlFile := filepath.Join(base, "cgroup.subtree_control")
	err = os.WriteFile(ctlFile, []byte(ctl), 0)
	// EBUSY: base has processes (no internal processes in v2, outside
	// the root). A child forked meanwhile is moved at the next try.
	for try := 0; errors.Is(err, syscall.EBUSY) && try < 3; try++ {
		if err := stranger(base); err != nil {
			return nil, err
		}
		if err := intoLeaf(base); err != nil {
			return nil, err
		}
		err = os.WriteFile(ctlFile, []byte(ctl), 0)
	}
	if err != nil {
		return nil, fmt.Errorf("enable %s in %s: %w", strings.Join(missing, ", "), ctlFile, err)
	}
	return on, nil
}

// isRoot reports whether dir is the root of the hierarchy, which may
// have processes and enable controllers both (it has no cgroup.type; the
// root of a cgroup namespace is not the root).
func isRoot(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "cgroup.type"))
	return errors.Is(err, os.ErrNotExist)
}

// stranger returns an error if base holds a process that is neither
// ginetd nor one of its descendants: ginetd moves only its own into its
// leaf, and cannot enable controllers in base while that one is there.
func stranger(base string) error {
	b, err := os.ReadFile(filepath.Join(base, "cgroup.procs"))
	if err != nil {
		return err
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		if yes, gone := ours(pid); !yes && !gone {
			comm, _ := os.ReadFile("/proc/" + f + "/comm")
			return fmt.Errorf("%s holds process %s (%s), which is not ginetd's: controllers are enabled only in a group without processes, "+
				"and ginetd moves only itself and its children out of its group; run ginetd in a group of its own", base, f, strings.TrimSpace(string(comm)))
		}
	}
	return nil
}

// ours reports whether process pid is ginetd or a descendant of it, or
// has exited.
func ours(pid int) (yes, gone bool) {
	self := os.Getpid()
	for try := 0; try < 3; try++ {
		p, hops := pid, 0
		for ; p != self && p > 1 && hops < 64; hops++ {
			pp, err := parent(p)
			if err != nil && p == pid {
				return false, true
			}
			if err != nil {
				break // an ancestor has exited: pid has a new one
			}
			p = pp
		}
		if p == self {
			return true, false
		}
		if p <= 1 || hops == 64 {
			return false, false
		}
	}
	return false, false
}

// parent returns the parent of process pid.
func parent(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	return strconv.Atoi(f[1])
}

// intoLeaf moves ginetd, then its descendants in base (children of
// services without caps), into base's leaf. The caller holds mu.
func intoLeaf(base string) error {
	dir := filepath.Join(base, leaf)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	procs := filepath.Join(dir, "cgroup.procs")
	if err := os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
		return fmt.Errorf("move ginetd to %s: %w", dir, err)
	}
	b, err := os.ReadFile(filepath.Join(base, "cgroup.procs"))
	if err != nil {
		return err
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		if yes, _ := ours(pid); !yes {
			continue
		}
		err := os.WriteFile(procs, []byte(f), 0)
		if err != nil && !errors.Is(err, syscall.ESRCH) { // ESRCH: it has exited
			return fmt.Errorf("move process %s to %s: %w", f, dir, err)
		}
	}
	return nil
}

// list reads a space-separated cgroup file (cgroup.controllers,
// cgroup.subtree_control); a leading '+' is dropped.
func list(file string) []string {
	b, _ := os.ReadFile(file)
	f := strings.Fields(string(b))
	for i := range f {
		f[i] = strings.TrimPrefix(f[i], "+")
	}
	return f
}

func setupV1(svc string, l Limits) ([]string, error) {
	var dirs []string
	// add writes files, pairs of name and value, in order.
	add := func(controller string, files ...string) error {
		dir := filepath.Join(Root, controller, "ginetd", name(svc))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for i := 0; i+1 < len(files); i += 2 {
			if err := os.WriteFile(filepath.Join(dir, files[i]), []byte(files[i+1]), 0); err != nil {
				return fmt.Errorf("%s/%s: %w", controller, files[i], err)
			}
		}
		dirs = append(dirs, dir)
		return nil
	}
	if l.PidsMax != "" {
		if err := add("pids", "pids.max", l.PidsMax); err != nil {
			return nil, err
		}
	}
	if l.MemoryMax != "" {
		v := l.MemoryMax
		if v == "max" {
			v = "-1"
		}
		if err := add("memory", "memory.limit_in_bytes", v); err != nil {
			return nil, err
		}
	}
	if l.CPUMax != "" {
		quota, period, _ := strings.Cut(l.CPUMax, " ")
		if quota == "max" {
			quota = "-1"
		}
		files := []string{"cpu.cfs_quota_us", quota}
		if period != "" { // the period first: the quota is checked against it
			files = append([]string{"cpu.cfs_period_us", period}, files...)
		}
		if err := add("cpu", files...); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// Remove deletes cgroup directories that Setup returned: one rmdir each,
// nothing read. A group that still holds processes cannot be removed; the
// kernel keeps it until they are gone, and a later Setup takes it over.
func Remove(dirs []string) {
	for _, d := range dirs {
		os.Remove(d)
	}
}
