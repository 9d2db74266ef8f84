package supervisor

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"path/filepath"

	"github.com/ginetd/ginetd/internal/access"
	"github.com/ginetd/ginetd/internal/builtin"
	"github.com/ginetd/ginetd/internal/cgroup"
	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/frontdoor"
	"github.com/ginetd/ginetd/internal/listen"
	"github.com/ginetd/ginetd/internal/spawn"
)

// Diff is what an Apply changed, by service label.
type Diff struct {
	Added, Removed, Changed []string
	// Unbound holds "label: error" for new services whose socket could not
	// be bound; they retry with back-off.
	Unbound []string
}

// Apply makes cfg the running configuration, as a whole: a service whose
// key (protocol and address) is unchanged keeps its socket and takes its
// new settings for the next client; a new service gets its socket before
// any removed one is closed; a removed service's socket closes; running
// children are never touched. A socket that cannot be bound does not fail
// Apply: the service retries with back-off.
//
// Every service must come prepared by the loader (config.Service.Prepared):
// Apply refuses a configuration with a service whose TLS material is not
// loaded or whose default limits are not filled in, and changes nothing.
func (s *Supervisor) Apply(cfg *config.Config) (Diff, error) {
	var d Diff
	for _, c := range cfg.Services {
		if err := c.Prepared(); err != nil {
			return d, fmt.Errorf("%s: %s: %w", c.Pos, c.Label(), err)
		}
	}
	if !s.call(func(s *Supervisor) { d = s.apply(cfg) }) {
		return d, ErrStopped
	}
	return d, nil
}

func (s *Supervisor) apply(cfg *config.Config) Diff {
	var d Diff
	next := make(map[string]*service, len(cfg.Services))
	var subs []*config.Service
	for _, c := range cfg.Services {
		if c.TCPMux {
			subs = append(subs, c)
			continue
		}
		key := c.Key()
		if old, ok := s.services[key]; ok {
			if !sameSettings(old.cfg, c) {
				d.Changed = append(d.Changed, c.Label())
			}
			s.update(old, c)
			next[key] = old
			continue
		}
		svc := &service{key: key, cfg: c}
		s.configure(svc)
		next[key] = svc
		d.Added = append(d.Added, c.Label())
		s.open(svc)
		if svc.sock == nil {
			d.Unbound = append(d.Unbound, c.Label()+": "+svc.lastErr)
		}
	}
	// A cgroup is named after the service's label, which a new service
	// may have too (one moved to another address): it stays.
	inUse := make(map[string]bool)
	for _, svc := range next {
		for _, dir := range svc.cgroups {
			inUse[dir] = true
		}
	}
	for key, old := range s.services {
		if _, ok := next[key]; !ok {
			d.Removed = append(d.Removed, old.label())
			old.cgroups = slices.DeleteFunc(old.cgroups, func(dir string) bool { return inUse[dir] })
			s.closeService(old)
			s.log.Info("remove", "svc", old.label())
		}
	}
	s.services = next
	s.linkTCPMux(subs)
	s.udpPorts = s.udpPorts[:0]
	for _, svc := range next {
		if svc.cfg.Builtin != "" && !svc.cfg.Stream() && svc.sock != nil && svc.sock.Addr.IsValid() {
			s.udpPorts = append(s.udpPorts, svc.sock.Addr.Port())
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Removed)
	sort.Strings(d.Changed)
	return d
}

// configure derives the per-service values computed once per load.
func (s *Supervisor) configure(svc *service) {
	c := svc.cfg
	svc.lbl = c.Label()
	svc.bi = nil
	if c.Builtin != "" {
		svc.bi = builtin.Lookup(c.Builtin, c.Stream()) // the loader checked it is there
	}
	svc.env = spawn.BaseEnv(c.InheritEnv, c.Env, c.PassEnv)
	svc.extra = &spawn.Extra{Umask: c.Umask, Nice: c.Nice, Rlimits: c.Rlimits, NoNewPrivs: c.NoNewPrivs,
		Chroot: c.Chroot, ListenPID: c.SocketActivation, Cgroups: s.cgroups(svc)}
	if !svc.extra.Needed() {
		svc.extra = nil
	}
	// The loader filled in the default limits (Apply checked it): a rate
	// is a limit, or config.NoLimit, which a Window takes as none.
	if svc.rate == nil || svc.rate.Max() != c.MaxRate {
		svc.rate = access.NewWindow(c.MaxRate, s.opts.RateInterval)
	}
	svc.ipRate = nil
	if c.MaxConnPerIPMin > 0 {
		svc.ipRate = access.NewPerSourceRate(c.MaxConnPerIPMin, time.Minute, 65536)
	}
	svc.cps = nil
	if c.CPSRate > 0 {
		svc.cps = access.NewCPS(c.CPSRate, c.CPSPause)
	}
	svc.load = nil
	if c.MaxLoad > 0 {
		svc.load = access.NewLoad(c.MaxLoad, "/proc/loadavg", access.SystemClock{})
	}
	svc.daemon = daemonName(c)
	s.configureFront(svc)
	s.configureLog(svc)
	svc.banner, svc.bannerOK, svc.bannerFail = c.BannerData, c.BannerOKData, c.BannerFailData
}

// daemonName is the hosts_access(5) daemon name of a service: xinetd's
// libwrap attribute, else the program's basename as tcpd sees it for an
// inetd.conf program, else the service name (built-ins, xinetd ids).
func daemonName(c *config.Service) string {
	switch {
	case c.Libwrap != "":
		return c.Libwrap
	case c.Builtin != "":
		return c.Builtin
	case c.Dialect == config.DialectXinetd:
		return c.ID
	case c.Program != "":
		return filepath.Base(c.Program)
	}
	return c.Name
}

// update swaps in the new settings of a service whose socket stays.
func (s *Supervisor) update(svc *service, c *config.Service) {
	oldWait := svc.waits()
	svc.cfg = c
	s.configure(svc)
	if svc.sock == nil {
		return
	}
	if oldWait != svc.waits() {
		svc.sock.SetNonblock(!svc.waits())
	}
	if svc.state == Listening || svc.state == Full || svc.state == Waiting {
		s.resume(svc)
	}
}

// open binds svc's socket, or schedules a retry.
func (s *Supervisor) open(svc *service) {
	var sock *listen.Socket
	var err error
	if in, key, ok := s.inherited(svc); ok {
		sock = in
		delete(s.opts.Inherited, key)
		defer s.adoptHeld(svc, key)
	} else {
		sock, err = listen.Open(svc.cfg)
	}
	if err != nil {
		s.bindFailed(svc, err)
		return
	}
	svc.sock = sock
	svc.retryDelay = 0
	svc.lastErr = ""
	if !svc.waits() {
		// A wait service's socket is made blocking before each child
		// (spawnWait), never here: an inherited one may be shared with
		// a running child of the previous ginetd, whose server may
		// rely on the O_NONBLOCK it set.
		sock.SetNonblock(true)
	}
	s.log.Info("listen", "svc", svc.label(), "addr", sock.String())
	s.resume(svc)
}

const (
	firstRetry = time.Second
	maxRetry   = time.Minute
)

// bindFailed logs a bind failure (once per distinct error) and retries
// with exponential back-off: 1 s, 2 s, 4 s ... 1 min.
func (s *Supervisor) bindFailed(svc *service, err error) {
	msg := err.Error()
	if svc.retryDelay == 0 {
		svc.retryDelay = firstRetry
	} else if svc.retryDelay < maxRetry {
		svc.retryDelay *= 2
		if svc.retryDelay > maxRetry {
			svc.retryDelay = maxRetry
		}
	}
	if msg != svc.lastErr {
		s.log.Error("bind-failed", "svc", svc.label(), "addr", svc.cfg.Address(), "err", msg, "retry", svc.retryDelay)
		svc.lastErr = msg
	}
	svc.state = BindRetry
	gen := svc.gen
	s.after(s.clock.Now().Add(svc.retryDelay), func() {
		if svc.gen == gen && svc.state == BindRetry && s.services[svc.key] == svc {
			s.open(svc)
		}
	})
}

// linkTCPMux gives each tcpmux built-in service the table of sub-services.
func (s *Supervisor) linkTCPMux(subs []*config.Service) {
	table := make(map[string]*service, len(subs))
	for _, c := range subs {
		svc := &service{key: c.Key(), cfg: c}
		if old := s.findSub(c.Key()); old != nil {
			old.cfg = c
			svc = old
		}
		s.configure(svc)
		svc.state = Listening
		table[strings.ToUpper(c.Name)] = svc
	}
	help := tcpmuxHelp(table)
	for _, svc := range s.services {
		if svc.bi != nil && svc.bi.Mode == builtin.Mux {
			svc.tcpmux, svc.tcpmuxHelp = table, help
		}
	}
}

func (s *Supervisor) findSub(key string) *service {
	for _, svc := range s.services {
		for _, sub := range svc.tcpmux {
			if sub.key == key {
				return sub
			}
		}
	}
	return nil
}

// sameSettings reports whether two configurations of one key are equal in
// what a reload log should call a change.
func sameSettings(a, b *config.Service) bool {
	return a.Wait == b.Wait && a.Builtin == b.Builtin && a.Program == b.Program &&
		slices.Equal(a.Args, b.Args) && a.User == b.User && a.Group == b.Group &&
		a.MaxRate == b.MaxRate && a.MaxChild == b.MaxChild &&
		a.MaxChildPerIP == b.MaxChildPerIP && a.MaxConnPerIPMin == b.MaxConnPerIPMin &&
		slices.Equal(a.Env, b.Env) && slices.Equal(a.OnlyFrom, b.OnlyFrom) &&
		slices.Equal(a.NoAccess, b.NoAccess)
}

// configureFront sets up the PROXY policy and TLS of svc. The TLS
// configuration was built by the loader (Apply checked it is there); an
// open session keeps the configuration it started with.
func (s *Supervisor) configureFront(svc *service) {
	c := svc.cfg
	svc.proxy = nil
	if c.ProxyProtocol {
		trusted, err := frontdoor.ParseTrusted(c.ProxyTrusted)
		if err != nil {
			s.log.Error("proxy_trusted", "svc", c.Label(), "err", err)
		}
		svc.proxy = &frontdoor.ProxyPolicy{Trusted: trusted, Required: true}
	}
	svc.tls = nil
	if c.TLS != nil {
		svc.tls = frontdoor.NewTLSConfig(c.TLS)
	}
}

// cgroups swaps in the cgroups the loader set up for the service
// (loader.Acquire) and returns the directories its children join. Those
// of its previous configuration that it no longer uses are removed.
func (s *Supervisor) cgroups(svc *service) []string {
	dirs := svc.cfg.Cgroups
	var gone []string
	for _, d := range svc.cgroups {
		if !slices.Contains(dirs, d) {
			gone = append(gone, d)
		}
	}
	cgroup.Remove(gone)
	svc.cgroups = dirs
	return dirs
}

// inherited finds an inherited socket for svc. A dual-stack service bound
// to one IPv6 address is IPv6-only in the kernel's eyes, and is looked for
// under that key too.
func (s *Supervisor) inherited(svc *service) (*listen.Socket, string, bool) {
	if in, ok := s.opts.Inherited[svc.key]; ok {
		return in, svc.key, true
	}
	for _, p := range [][2]string{{config.TCP46, config.TCP6}, {config.UDP46, config.UDP6}} {
		if svc.cfg.Proto == p[0] {
			key := p[1] + strings.TrimPrefix(svc.key, p[0])
			in, ok := s.opts.Inherited[key]
			return in, key, ok
		}
	}
	return nil, "", false
}
