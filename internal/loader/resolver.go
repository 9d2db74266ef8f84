package loader

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/user"
	"strconv"

	"github.com/ginetd/ginetd/internal/config"
)

// resolver resolves names for one Load, within its context's deadline,
// and caches them: a thousand services running as one user look it up
// once.
type resolver struct {
	ctx   context.Context
	rate  int // Options.Rate
	ports map[string]int
	creds map[string]*config.Cred

	// The lookups, replaced in tests.
	lookupUser    func(name string) (*user.User, error)
	lookupUserID  func(uid string) (*user.User, error)
	lookupGroup   func(name string) (*user.Group, error)
	lookupGroupID func(gid string) (*user.Group, error)
	lookupIP      func(ctx context.Context, host string) ([]netip.Addr, error)
	// lookupFamily answers for one network, "ip4" or "ip6"; it is used
	// for the host names of only_from and no_access (lookupAccessHost).
	lookupFamily func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// strict is the resolver of access-list names: a temporary failure (a
// timeout, SERVFAIL) of any query it makes fails the lookup, where
// net.DefaultResolver would return what the other queries found (the
// IPv4 addresses of a name whose AAAA query failed, or the addresses of
// the name with the next search domain appended).
var strict = &net.Resolver{StrictErrors: true}

func newResolver(ctx context.Context) *resolver {
	return &resolver{
		ctx:           ctx,
		ports:         make(map[string]int),
		creds:         make(map[string]*config.Cred),
		lookupUser:    user.Lookup,
		lookupUserID:  user.LookupId,
		lookupGroup:   user.LookupGroup,
		lookupGroupID: user.LookupGroupId,
		lookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
		lookupFamily: strict.LookupNetIP,
	}
}

// A LookupError is a name of the configuration that was not resolved. Err
// is the lookup's error: user.UnknownUserError and the like when the name
// does not exist, or why the lookup failed (context.DeadlineExceeded when
// the load's deadline passed, an NSS or DNS failure).
type LookupError struct {
	Kind string // "user", "group", "host", "service"
	Name string
	Err  error
}

func (e *LookupError) Error() string {
	if e.NotFound() {
		return fmt.Sprintf("unknown %s %q", e.Kind, e.Name)
	}
	return fmt.Sprintf("cannot look up %s %q: %v", e.Kind, e.Name, e.Err)
}

func (e *LookupError) Unwrap() error { return e.Err }

// NotFound reports whether the name does not exist, as opposed to a lookup
// that failed.
func (e *LookupError) NotFound() bool {
	var (
		uu  user.UnknownUserError
		uid user.UnknownUserIdError
		ug  user.UnknownGroupError
		gid user.UnknownGroupIdError
		dns *net.DNSError
	)
	switch {
	case errors.As(e.Err, &uu), errors.As(e.Err, &uid), errors.As(e.Err, &ug), errors.As(e.Err, &gid):
		return true
	case errors.As(e.Err, &dns):
		return dns.IsNotFound
	}
	return false
}

// late reports whether err comes from the load's deadline having passed
// (or its context canceled): such a failure says nothing of the name, so
// it is an error that makes the configuration unusable, never a warning
// that would leave an entry out.
func (r *resolver) late(err error) bool {
	return r.ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// blocking runs f, which may block without a way to cancel it (os/user
// through NSS), until the load's context is done; then it returns the
// context's error and leaves f to finish on its own.
func blocking[T any](ctx context.Context, f func() (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	c := make(chan result, 1)
	go func() {
		v, err := f()
		c <- result{v, err}
	}()
	select {
	case r := <-c:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func (r *resolver) lookupPort(network, name string) (int, error) {
	k := network + "/" + name
	if p, ok := r.ports[k]; ok {
		return p, nil
	}
	p, err := net.DefaultResolver.LookupPort(r.ctx, network, name)
	if err != nil {
		return 0, &LookupError{Kind: "service", Name: name, Err: err}
	}
	r.ports[k] = p
	return p, nil
}

// lookupHost resolves a host name within the load's deadline.
func (r *resolver) lookupHost(host string) ([]netip.Addr, error) {
	ips, err := r.lookupIP(r.ctx, host)
	if err != nil {
		return nil, &LookupError{Kind: "host", Name: host, Err: err}
	}
	return ips, nil
}

// lookupAccessHost resolves a host name of only_from or no_access within
// the load's deadline: the addresses of both families, or an error. Each
// family is asked on its own, so that no resolver (Go's, or getaddrinfo
// through cgo) can turn a failed query of one family into a shorter
// answer: a no_access name that silently lost its IPv6 addresses would
// let its IPv6 clients in. A family the name has no address of is no
// error; a name with no address at all is a *LookupError whose NotFound
// is true, any other failure one whose NotFound is false.
func (r *resolver) lookupAccessHost(host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	var none error
	for _, network := range [...]string{"ip4", "ip6"} {
		ips, err := r.lookupFamily(r.ctx, network, host)
		switch {
		case err == nil:
			addrs = append(addrs, ips...)
		case noAddress(err):
			if none == nil {
				none = err
			}
		default:
			return nil, &LookupError{Kind: "host", Name: host, Err: err}
		}
	}
	if len(addrs) == 0 {
		if none == nil {
			none = &net.DNSError{Err: "no address", Name: host, IsNotFound: true}
		}
		return nil, &LookupError{Kind: "host", Name: host, Err: none}
	}
	return addrs, nil
}

// noAddress reports whether err says that a name has no address of the
// family asked for (NXDOMAIN, or no record of that type), rather than
// that the lookup failed.
func noAddress(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsNotFound
	}
	// net.Resolver's answer when /etc/hosts has the name with addresses
	// of the other family only.
	var ae *net.AddrError
	return errors.As(err, &ae) && ae.Err == "no suitable address found"
}

// cred resolves a user (name or uid) and optional group (name or gid) to
// the identity initgroups(3) would give: the group's gid, or the user's
// primary group, and the user's supplementary groups. An error is a
// *LookupError.
func (r *resolver) cred(uname, gname string) (*config.Cred, error) {
	k := uname + ":" + gname
	if c, ok := r.creds[k]; ok {
		return c, nil
	}
	u, err := blocking(r.ctx, func() (*user.User, error) {
		u, err := r.lookupUser(uname)
		if _, unknown := err.(user.UnknownUserError); unknown {
			if _, nerr := strconv.Atoi(uname); nerr == nil {
				u, err = r.lookupUserID(uname)
			}
		}
		return u, err
	})
	if err != nil {
		return nil, &LookupError{Kind: "user", Name: uname, Err: err}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if gname != "" {
		g, err := blocking(r.ctx, func() (*user.Group, error) {
			g, err := r.lookupGroup(gname)
			if _, unknown := err.(user.UnknownGroupError); unknown {
				if _, nerr := strconv.Atoi(gname); nerr == nil {
					g, err = r.lookupGroupID(gname)
				}
			}
			return g, err
		})
		if err != nil {
			return nil, &LookupError{Kind: "group", Name: gname, Err: err}
		}
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
	}
	c := &config.Cred{Uid: uint32(uid), Gid: uint32(gid), Home: u.HomeDir, Groups: []uint32{}}
	ids, err := blocking(r.ctx, u.GroupIds)
	if err != nil && r.late(err) {
		return nil, &LookupError{Kind: "user", Name: uname, Err: fmt.Errorf("supplementary groups: %w", err)}
	}
	for _, id := range ids {
		if n, err := strconv.ParseUint(id, 10, 32); err == nil {
			c.Groups = append(c.Groups, uint32(n))
		}
	}
	r.creds[k] = c
	return c, nil
}
