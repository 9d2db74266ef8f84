package access

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// Default hosts_access(5) files.
const (
	DefaultHostsAllow = "/etc/hosts.allow"
	DefaultHostsDeny  = "/etc/hosts.deny"
)

// HostsAccess is hosts_access(5): the rules of hosts.allow and hosts.deny.
// Check allows a client when a rule of hosts.allow matches, refuses it when
// a rule of hosts.deny matches, and otherwise allows it; the first matching
// rule of a file decides, and its allow or deny option (hosts_options(5))
// overrides the file's meaning. A missing file has no rules.
//
// ginetd looks up no client's host name or user. A pattern that depends on
// one (a host name, .domain, KNOWN, UNKNOWN, LOCAL, PARANOID, @netgroup,
// /file, user@host, and a malformed pattern) neither matches nor fails:
// a rule that might match by it is skipped when it allows and decides
// when it denies. So what ginetd does not know never lets a client past a
// rule that would have refused it, where tcpd lets past its name patterns
// a client whose name lookup failed.
//
// The files are re-read when they change, without a reload: Check stats
// them (device, inode, size, mtime) at most once a second by the clock. A
// file that cannot be read keeps its last good rules. Lines that tcpd would
// skip are skipped; every problem is reported as "FILE:LINE: message"
// through Problems and the reporter set with SetReporter.
//
// A HostsAccess belongs to one goroutine (the supervisor's): it does not
// lock.
type HostsAccess struct {
	clock  Clock
	files  [2]hostsFile // allow, deny
	last   time.Time    // last stat
	probs  config.Problems
	report func(config.Problem)
}

type hostsFile struct {
	path  string
	id    fileID
	rules []hostsRule
	probs config.Problems
}

// fileID is what tells a changed file: absent, or device, inode, size and
// mtime.
type fileID struct {
	exists     bool
	dev, ino   uint64
	size       int64
	mtime      int64
	readFailed bool
}

// NewHostsAccess reads allowPath and denyPath and returns their rules. An
// empty path means no file. clock nil means SystemClock.
func NewHostsAccess(allowPath, denyPath string, clock Clock) *HostsAccess {
	h := &HostsAccess{clock: orSystem(clock)}
	h.files[0].path = allowPath
	h.files[1].path = denyPath
	h.refresh(true)
	h.last = h.clock.Now()
	return h
}

// SetReporter sets the function that receives each problem found when a
// file is (re)read, for the log. The problems of the first read are already
// in Problems.
func (h *HostsAccess) SetReporter(f func(config.Problem)) { h.report = f }

// Problems returns the problems of the rules in use.
func (h *HostsAccess) Problems() config.Problems { return h.probs }

// Check decides whether peer may use daemon (the tcpd process name: the
// program's basename, xinetd's libwrap or id, a built-in's name). local is
// the server address, matched by "daemon@host" patterns; it may be the zero
// Addr. rule is "FILE:LINE" of the rule that decided, or "" when none did
// (allowed by default). Check does not allocate unless a file changed.
func (h *HostsAccess) Check(daemon string, peer, local netip.Addr) (allowed bool, rule string) {
	if now := h.clock.Now(); now.Sub(h.last) >= time.Second || now.Before(h.last) {
		h.last = now
		h.refresh(false)
	}
	peer = peer.Unmap().WithZone("")
	local = local.Unmap().WithZone("")
	for fi := range h.files {
		rules := h.files[fi].rules
		for i := range rules {
			r := &rules[i]
			m := r.daemons.matchDaemon(daemon, local)
			if m == matchNo {
				continue
			}
			if m = both(m, r.clients.matchClient(peer)); m == matchNo {
				continue
			}
			allow := r.verdict == verdictAllow || r.verdict == 0 && fi == 0
			if m == matchMaybe && allow {
				// It might not match (by the client's name, which is not
				// known): the rules after it decide.
				continue
			}
			// It might match: a denial refuses, as it would if it did.
			return allow, r.where
		}
	}
	return true, ""
}

// refresh re-reads the files whose identity changed (all when force).
func (h *HostsAccess) refresh(force bool) {
	changed := false
	for i := range h.files {
		f := &h.files[i]
		if f.path == "" {
			continue
		}
		id := statID(f.path)
		if !force && id == f.id && !f.id.readFailed {
			continue
		}
		if !id.exists {
			f.id, f.rules, f.probs = id, nil, nil
			changed = true
			continue
		}
		src, err := os.ReadFile(f.path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				f.id, f.rules, f.probs = fileID{}, nil, nil
				changed = true
				continue
			}
			// Keep the last good rules; try again on the next stat.
			if !f.id.readFailed {
				p := config.Problem{Pos: config.Pos{File: f.path}, Msg: "cannot read, keeping the previous rules: " + err.Error()}
				if h.report != nil {
					h.report(p)
				}
			}
			f.id.readFailed = true
			continue
		}
		f.id = id
		f.rules, f.probs = parseHosts(f.path, src)
		changed = true
		if h.report != nil {
			for _, p := range f.probs {
				h.report(p)
			}
		}
	}
	if changed {
		h.probs = append(append(config.Problems(nil), h.files[0].probs...), h.files[1].probs...)
	}
}

func statID(path string) fileID {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}
	}
	id := fileID{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), st.Ino
	}
	return id
}
