// Package cgroup owns the control groups ginetd creates for services with
// memory_max, cpu_max or pids_max: one group per service under ginetd's own,
// created (by the loader, before the configuration is applied) and updated
// at every load, and removed with the service. Children join
// their service's group before exec (through spawn's trampoline), so every
// process a service starts counts against its limits.
//
// cgroup v2 is used where /sys/fs/cgroup is the unified hierarchy; on a
// cgroup v1 host the pids, memory and cpu controllers' own hierarchies are
// used (pids.max, memory.limit_in_bytes, cpu.cfs_quota_us). Without root or
// a writable hierarchy, Available says why and services run unlimited.
package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Limits are a service's resource caps, in cgroup v2 syntax: memory_max
// in bytes or "max", cpu_max as "QUOTA PERIOD" (µs) or "max", pids_max a
// count or "max". Empty means no limit.
type Limits struct {
	MemoryMax, CPUMax, PidsMax string
}

// Empty reports whether no limit is set.
func (l Limits) Empty() bool { return l.MemoryMax == "" && l.CPUMax == "" && l.PidsMax == "" }

// Root is the cgroup file system; tests may point it elsewhere.
var Root = "/sys/fs/cgroup"

// Available reports whether ginetd can create service cgroups here, and
// if not, why.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("cgroups need root")
	}
	if v2() {
		return writable(ownV2())
	}
	for _, c := range []string{"pids", "memory", "cpu"} {
		if err := writable(filepath.Join(Root, c)); err != nil {
			return err
		}
	}
	return nil
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

// ownV2 is the directory of ginetd's own cgroup in the v2 hierarchy.
func ownV2() string {
	b, _ := os.ReadFile("/proc/self/cgroup")
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return filepath.Join(Root, p)
		}
	}
	return Root
}

// name makes a service label a directory name.
func name(svc string) string {
	return "ginetd-" + strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(svc)
}

// Setup creates (or updates) the cgroup(s) of service svc with limits l and
// returns the directories a child must join.
func Setup(svc string, l Limits) ([]string, error) {
	if v2() {
		return setupV2(svc, l)
	}
	return setupV1(svc, l)
}

func setupV2(svc string, l Limits) ([]string, error) {
	base := ownV2()
	// Controllers can be delegated to children only from a group without
	// processes of its own: move ginetd into a leaf first if needed.
	ctl := "+pids +memory +cpu"
	if err := os.WriteFile(filepath.Join(base, "cgroup.subtree_control"), []byte(ctl), 0); err != nil {
		leaf := filepath.Join(base, "ginetd")
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(fmt.Sprint(os.Getpid())), 0); err != nil {
			return nil, fmt.Errorf("move ginetd to %s: %w", leaf, err)
		}
		if err := os.WriteFile(filepath.Join(base, "cgroup.subtree_control"), []byte(ctl), 0); err != nil {
			return nil, fmt.Errorf("enable controllers in %s: %w", base, err)
		}
	}
	dir := filepath.Join(base, name(svc))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	set := map[string]string{"memory.max": l.MemoryMax, "cpu.max": l.CPUMax, "pids.max": l.PidsMax}
	for file, v := range set {
		if v == "" {
			v = "max"
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	return []string{dir}, nil
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
