package loader

import (
	"context"
	"fmt"
	"net"
	"os/user"
	"strconv"

	"github.com/ginetd/ginetd/internal/config"
)

var nilCtx = context.Background()

// resolver caches name lookups for one Load: a thousand services running
// as one user look it up once.
type resolver struct {
	rate  int // Options.Rate
	ports map[string]int
	creds map[string]*config.Cred
}

func newResolver() *resolver {
	return &resolver{ports: make(map[string]int), creds: make(map[string]*config.Cred)}
}

func (r *resolver) lookupPort(network, name string) (int, error) {
	k := network + "/" + name
	if p, ok := r.ports[k]; ok {
		return p, nil
	}
	p, err := net.LookupPort(network, name)
	if err != nil {
		return 0, err
	}
	r.ports[k] = p
	return p, nil
}

// cred resolves a user (name or uid) and optional group (name or gid) to
// the identity initgroups(3) would give: the group's gid, or the user's
// primary group, and the user's supplementary groups.
func (r *resolver) cred(uname, gname string) (*config.Cred, error) {
	k := uname + ":" + gname
	if c, ok := r.creds[k]; ok {
		return c, nil
	}
	u, err := user.Lookup(uname)
	if err != nil {
		if _, nerr := strconv.Atoi(uname); nerr == nil {
			u, err = user.LookupId(uname)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("unknown user %q", uname)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if gname != "" {
		g, err := user.LookupGroup(gname)
		if err != nil {
			if _, nerr := strconv.Atoi(gname); nerr == nil {
				g, err = user.LookupGroupId(gname)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("unknown group %q", gname)
		}
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
	}
	c := &config.Cred{Uid: uint32(uid), Gid: uint32(gid), Home: u.HomeDir, Groups: []uint32{}}
	ids, _ := u.GroupIds()
	for _, id := range ids {
		if n, err := strconv.ParseUint(id, 10, 32); err == nil {
			c.Groups = append(c.Groups, uint32(n))
		}
	}
	r.creds[k] = c
	return c, nil
}
