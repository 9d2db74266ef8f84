package loader

import (
	"context"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/ginetd/ginetd/internal/access"
	"github.com/ginetd/ginetd/internal/builtin"
	"github.com/ginetd/ginetd/internal/cgroup"
	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/config/confread"
	"github.com/ginetd/ginetd/internal/config/inetdconf"
	"github.com/ginetd/ginetd/internal/config/xinetdconf"
)

// Options are what the command line says about a load.
type Options struct {
	// Rate is the spawn-rate limit of -R, per rate interval, through
	// config.Rate (config.NoLimit for -R 0), or 0 when -R was not given:
	// then each dialect's default applies (config.Service.Defaults).
	Rate int
}

// Load reads, parses and resolves the configuration files in order. It
// returns the services this host can serve and every problem found. The
// Config is nil when any problem is an error.
//
// Name lookups (hosts, /etc/services, users and groups) end when ctx does:
// a lookup cut short by ctx's deadline is an error, never a warning that
// would leave its entry out, so that a hung resolver fails a check or a
// reload (which keeps the old configuration) rather than hanging it or
// dropping services.
func Load(ctx context.Context, paths []string, opts Options) (*config.Config, config.Problems) {
	var all []*config.Service
	var probs config.Problems
	files := confread.NewReader(nil, &probs)
	for _, path := range paths {
		src, err := files.ReadFile(path)
		if err != nil {
			probs.Errorf(config.Pos{File: path}, "cannot read: %s", confread.ErrText(err))
			continue
		}
		var svcs []*config.Service
		var ps config.Problems
		if xinetdconf.IsXinetd(src) {
			svcs, ps = xinetdconf.Parse(path, src)
		} else {
			svcs, ps = inetdconf.Parse(path, src)
		}
		probs.Add(ps)
		all = append(all, svcs...)
	}
	r := newResolver(ctx)
	r.rate = opts.Rate
	var ok []*config.Service
	for _, s := range all {
		if r.resolve(s, &probs) {
			ok = append(ok, s)
		}
	}
	ok = dedupe(ok, &probs)
	probs = probs.Sort()
	if probs.HasErrors() {
		return nil, probs
	}
	return &config.Config{Files: paths, Services: ok}, probs
}

// dedupe reports two services on one address and protocol, naming both
// places, and keeps the first.
func dedupe(svcs []*config.Service, probs *config.Problems) []*config.Service {
	seen := make(map[string]*config.Service, len(svcs))
	out := svcs[:0]
	for _, s := range svcs {
		k := s.Key()
		if first, dup := seen[k]; dup {
			probs.Errorf(s.Pos, "%s: same address and protocol as %s (%s)", s.Label(), first.Pos, first.Label())
			continue
		}
		seen[k] = s
		out = append(out, s)
	}
	return out
}

// resolve fills the host-dependent fields of s. A false result means s is
// left out; the reason has been added to probs as a warning.
func (r *resolver) resolve(s *config.Service, probs *config.Problems) bool {
	if s.ID == "" {
		s.ID = s.Label()
	}
	s.Defaults(r.rate)
	if !prepare(s, probs) {
		return false
	}
	if s.Builtin != "" && builtin.Lookup(s.Builtin, s.Stream()) == nil {
		if builtin.Known(s.Builtin) {
			probs.Warnf(s.Pos, "%s: built-in service %q has no %s form; entry skipped", s.Label(), s.Builtin, s.SockType)
		} else {
			probs.Warnf(s.Pos, "%s: unknown built-in service %q; entry skipped", s.Label(), s.Builtin)
		}
		return false
	}
	if !s.TCPMux && s.Proto != config.Unix {
		if !r.port(s, probs) || !r.host(s, probs) {
			return false
		}
	}
	if s.Builtin == "" && s.Redirect == "" {
		if !r.program(s, probs) {
			return false
		}
	}
	if s.Builtin == "" || s.User != "" {
		if !r.user(s, probs) {
			return false
		}
	}
	// Fail closed: a cap that cannot be applied leaves the service out
	// rather than run it without (ginetd.conf(5), memory_max). What
	// ginetd's own cgroup lacks, Acquire finds.
	if (cgroup.Limits{MemoryMax: s.MemoryMax, CPUMax: s.CPUMax, PidsMax: s.PidsMax}).Limited() {
		if err := cgroup.Available(); err != nil {
			probs.Warnf(s.Pos, "%s: memory_max/cpu_max/pids_max cannot be applied: %v; entry skipped", s.Label(), err)
			return false
		}
	}
	return r.policy(s, probs)
}

// policy compiles the service's address and time rules; host names in
// them are resolved now, never per connection. A no_access token that
// stands for no address (a name that does not resolve, for whatever
// reason) is an error, so that the configuration is not used rather
// than run without a denial it asks for (ginetd.conf(5), no_access).
func (r *resolver) policy(s *config.Service, probs *config.Problems) bool {
	if len(s.OnlyFrom) == 0 && len(s.NoAccess) == 0 && len(s.AccessTimes) == 0 && !s.OnlyFromNone {
		return true
	}
	var lateErr error
	p, ps := access.CompileService(s, func(host string) ([]netip.Addr, error) {
		ips, err := r.lookupAccessHost(host)
		if err != nil && r.late(err) && lateErr == nil {
			lateErr = err
		}
		return ips, err
	})
	probs.Add(ps)
	if lateErr != nil {
		late(s, lateErr, probs)
		return false
	}
	if ps.HasErrors() {
		return false
	}
	s.Policy = p
	return true
}

func (r *resolver) port(s *config.Service, probs *config.Problems) bool {
	name := s.PortName
	if name == "" {
		if s.Port != 0 {
			return true
		}
		name = s.Name
	}
	if n, err := strconv.Atoi(name); err == nil {
		if n < 0 || n > 65535 {
			probs.Errorf(s.Pos, "%s: port %d out of range", s.Label(), n)
			return false
		}
		s.Port = n
		return true
	}
	network := "tcp"
	if s.SockType == config.Dgram {
		network = "udp"
	}
	p, err := r.lookupPort(network, name)
	if err != nil && r.late(err) {
		late(s, err, probs)
		return false
	}
	if err != nil {
		probs.Warnf(s.Pos, "%s: unknown service %q (not in /etc/services for %s); entry skipped", s.Label(), name, network)
		return false
	}
	s.Port = p
	return true
}

func (r *resolver) host(s *config.Service, probs *config.Problems) bool {
	h := s.Host
	if h == "" || h == "*" {
		return true
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if ip, err := netip.ParseAddr(h); err == nil {
		s.Host = ip.String()
		return true
	}
	ips, err := r.lookupHost(h)
	if err != nil && r.late(err) {
		late(s, err, probs)
		return false
	}
	if err != nil || len(ips) == 0 {
		probs.Warnf(s.Pos, "%s: cannot resolve bind address %q; entry skipped", s.Label(), h)
		return false
	}
	want6 := s.Proto == config.TCP6 || s.Proto == config.UDP6
	for _, ip := range ips {
		ip = ip.Unmap()
		if ip.Is6() == want6 || s.Proto == config.TCP46 || s.Proto == config.UDP46 {
			s.Host = ip.String()
			return true
		}
	}
	probs.Warnf(s.Pos, "%s: bind address %q has no address of the service's family; entry skipped", s.Label(), h)
	return false
}

func (r *resolver) program(s *config.Service, probs *config.Problems) bool {
	if s.Program == "" {
		probs.Errorf(s.Pos, "%s: no program", s.Label())
		return false
	}
	// A chrooted program is found inside the chroot.
	path := s.Program
	if s.Chroot != "" {
		path = strings.TrimSuffix(s.Chroot, "/") + s.Program
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		probs.Warnf(s.Pos, "%s: program %s: %v; entry skipped", s.Label(), s.Program, unwrap(err))
		return false
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		probs.Warnf(s.Pos, "%s: program %s is not executable; entry skipped", s.Label(), s.Program)
		return false
	}
	if len(s.Args) == 0 {
		s.Args = []string{s.Program[strings.LastIndexByte(s.Program, '/')+1:]}
	}
	return true
}

// late adds the error of a lookup that the load's deadline cut short.
func late(s *config.Service, err error, probs *config.Problems) {
	probs.Errorf(s.Pos, "%s: %v (name resolution timed out)", s.Label(), err)
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (r *resolver) user(s *config.Service, probs *config.Problems) bool {
	if s.User == "" {
		return true
	}
	cred, err := r.cred(s.User, s.Group)
	if err != nil && r.late(err) {
		late(s, err, probs)
		return false
	}
	if err != nil {
		probs.Warnf(s.Pos, "%s: %v; entry skipped", s.Label(), err)
		return false
	}
	if s.NoGroups {
		c := *cred
		c.Groups = []uint32{}
		cred = &c
	}
	s.Cred = cred
	return true
}
