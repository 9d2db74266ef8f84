package loader

import (
	"os"

	"github.com/ginetd/ginetd/internal/cgroup"
	"github.com/ginetd/ginetd/internal/config"
)

// Acquire opens and creates, off the supervisor's loop, what running cfg
// needs beyond what Load reads, and which `ginetd check` must leave alone:
// each xinetd log_type FILE, opened for appending (and created), and the
// cgroups of memory_max, cpu_max and pids_max, created or updated. It
// fills Service.LogFile and Service.Cgroups, so that the supervisor's
// Apply only swaps them in, as OpenBSD inetd's config() builds each
// entry before it swaps it in.
//
// A file that cannot be opened is a warning: the service logs to
// ginetd's log only. A cgroup that cannot be set up is a warning too,
// and leaves the service out of cfg: it does not run without its caps.
//
// The caller owns the files: it closes them with Release once cfg is no
// longer the running configuration, or was never applied. Acquire runs
// at every start and reload, so a rotated log file is reopened by SIGHUP.
func Acquire(cfg *config.Config) config.Problems {
	var probs config.Problems
	kept := cfg.Services[:0]
	for _, s := range cfg.Services {
		l := cgroup.Limits{MemoryMax: s.MemoryMax, CPUMax: s.CPUMax, PidsMax: s.PidsMax}
		if !l.Empty() {
			dirs, err := cgroup.Setup(s.Label(), l)
			if err != nil {
				probs.Warnf(s.Pos, "%s: memory_max/cpu_max/pids_max cannot be applied: %v; entry skipped", s.Label(), err)
				continue
			}
			s.Cgroups = dirs
		}
		if s.LogType != nil && s.LogType.File != "" {
			f, err := os.OpenFile(s.LogType.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644) // close-on-exec, as os opens every file
			if err != nil {
				probs.Warnf(s.Pos, "%s: log_type FILE %s: %v; its lines go to ginetd's log only", s.Label(), s.LogType.File, unwrap(err))
			} else {
				s.LogFile = f
			}
		}
		kept = append(kept, s)
	}
	clear(cfg.Services[len(kept):])
	cfg.Services = kept
	return probs.Sort()
}

// Release closes the files Acquire opened for cfg.
func Release(cfg *config.Config) {
	if cfg == nil {
		return
	}
	for _, s := range cfg.Services {
		if s.LogFile != nil {
			s.LogFile.Close()
		}
	}
}
