package access

import (
	"net/netip"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// Policy is the static access policy of one service: its address lists and
// access times, compiled once per configuration load. The limits that keep
// state (Window, PerSource, CPS, ...) live in the supervisor's per-service
// runtime state instead, because they must survive a reload that keeps the
// service. A nil *Policy allows everything. A Policy is immutable.
type Policy struct {
	Addr  *AddrMatcher
	Times Times
}

// CompileService compiles svc's only_from, no_access and access_times.
// only_from given with no value (svc.OnlyFromNone) refuses every client.
// Problems are placed at svc.Pos (the service entry) and name the attribute
// and the token; warnings are tokens that match nothing on this host.
func CompileService(svc *config.Service, resolve Resolver) (*Policy, config.Problems) {
	only := svc.OnlyFrom
	if svc.OnlyFromNone {
		only = []string{}
	} else if len(only) == 0 {
		only = nil
	}
	noAccess := svc.NoAccess
	if len(noAccess) == 0 {
		noAccess = nil
	}
	p := &Policy{}
	var probs config.Problems
	var errs []*TokenError
	if only != nil || noAccess != nil {
		p.Addr, errs = Compile(only, noAccess, resolve)
	}
	var terrs []*TokenError
	p.Times, terrs = ParseTimes(svc.AccessTimes)
	for _, e := range append(errs, terrs...) {
		if e.Warning {
			probs.Warnf(svc.Pos, "%s", e.Error())
		} else {
			probs.Errorf(svc.Pos, "%s", e.Error())
		}
	}
	return p, probs
}

// Allowed applies the address lists and the access times to a peer at now.
// reason is "" when allowed, else one of the Reason constants or
// ReasonTime. It does not allocate.
func (p *Policy) Allowed(peer netip.Addr, now time.Time) (ok bool, reason string) {
	if p == nil {
		return true, ""
	}
	if ok, why := p.Addr.Allowed(peer); !ok {
		return false, why
	}
	if !p.Times.Allowed(now) {
		return false, ReasonTime
	}
	return true, ""
}

// ReasonTime is the refusal reason outside access_times.
const ReasonTime = "access_times"
