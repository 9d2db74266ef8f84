package loader

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os/user"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// TestLookupErrors: an unknown user keeps its cause (user.UnknownUserError)
// and says "unknown user"; a lookup that fails says why, and is still a
// warning that leaves the entry out.
func TestLookupErrors(t *testing.T) {
	r := newResolver(context.Background())
	_, err := r.cred("no-such-user-ginetd-test", "")
	var le *LookupError
	var uu user.UnknownUserError
	if !errors.As(err, &le) || !le.NotFound() || !errors.As(err, &uu) || err.Error() != `unknown user "no-such-user-ginetd-test"` {
		t.Errorf("unknown user: %v (%T)", err, err)
	}
	_, err = r.cred("root", "no-such-group-ginetd-test")
	var ug user.UnknownGroupError
	if !errors.As(err, &ug) || err.Error() != `unknown group "no-such-group-ginetd-test"` {
		t.Errorf("unknown group: %v", err)
	}

	nss := errors.New("nss: server unreachable")
	r.lookupUser = func(string) (*user.User, error) { return nil, nss }
	s := &config.Service{Pos: config.Pos{File: "x.conf", Line: 2}, Name: "a", Proto: config.TCP4, User: "someone"}
	var probs config.Problems
	if r.user(s, &probs) {
		t.Fatal("a service whose user cannot be looked up is kept")
	}
	if !errors.Is(func() error { _, err := r.cred("someone", ""); return err }(), nss) {
		t.Error("the lookup's error is not kept")
	}
	want := `x.conf:2: warning: a/tcp4: cannot look up user "someone": nss: server unreachable; entry skipped`
	if probs.Error() != want {
		t.Errorf("problems:\n%s\nwant:\n%s", probs.Error(), want)
	}
}

// TestLookupDeadline: a lookup that does not answer (NSS that hangs, DNS
// that never replies) ends at the load's deadline, and is an error: the
// configuration is not used, rather than the entry left out.
func TestLookupDeadline(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang) // lets the abandoned NSS lookup end
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	r := newResolver(ctx)
	r.lookupUser = func(string) (*user.User, error) {
		<-hang
		return nil, errors.New("too late")
	}
	r.lookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	svcs := []*config.Service{
		{Pos: config.Pos{File: "x.conf", Line: 1}, Name: "a", Proto: config.TCP4, User: "someone"},
		{Pos: config.Pos{File: "x.conf", Line: 2}, Name: "b", Proto: config.TCP4, Host: "hung.test"},
	}
	var probs config.Problems
	if r.user(svcs[0], &probs) || r.host(svcs[1], &probs) {
		t.Fatal("a service is kept")
	}
	if !probs.HasErrors() || len(probs.Warnings()) != 0 {
		t.Fatalf("problems:\n%s", probs.Error())
	}
	for i, p := range probs {
		if !strings.HasSuffix(p.Msg, "context deadline exceeded (name resolution timed out)") {
			t.Errorf("problem %d: %s", i, p.Error())
		}
	}
	if _, err := r.cred("other", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after the deadline: %v", err)
	}
}

// TestAccessHostFamilies: the names of only_from and no_access are looked
// up per family, and a family whose lookup fails (not one the name merely
// lacks) fails the whole lookup rather than leave the name with the other
// family's addresses only.
func TestAccessHostFamilies(t *testing.T) {
	v4, v6 := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("2001:db8::7")
	none := &net.DNSError{Err: "no such host", Name: "h", IsNotFound: true}
	servfail := &net.DNSError{Err: "server misbehaving", Name: "h", IsTemporary: true}
	timeout := &net.DNSError{Err: "i/o timeout", Name: "h", IsTimeout: true, IsTemporary: true}
	hostsOnly := &net.AddrError{Err: "no suitable address found", Addr: "h"}
	type answer struct {
		addrs []netip.Addr
		err   error
	}
	tests := []struct {
		name     string
		ip4, ip6 answer
		want     []netip.Addr
		notFound bool // when an error is wanted (want nil)
	}{
		{"both", answer{[]netip.Addr{v4}, nil}, answer{[]netip.Addr{v6}, nil}, []netip.Addr{v4, v6}, false},
		{"no AAAA", answer{[]netip.Addr{v4}, nil}, answer{nil, none}, []netip.Addr{v4}, false},
		{"no A", answer{nil, none}, answer{[]netip.Addr{v6}, nil}, []netip.Addr{v6}, false},
		{"hosts file IPv4 only", answer{[]netip.Addr{v4}, nil}, answer{nil, hostsOnly}, []netip.Addr{v4}, false},
		{"AAAA SERVFAIL", answer{[]netip.Addr{v4}, nil}, answer{nil, servfail}, nil, false},
		{"A timeout", answer{nil, timeout}, answer{[]netip.Addr{v6}, nil}, nil, false},
		{"NXDOMAIN", answer{nil, none}, answer{nil, none}, nil, true},
		{"empty answers", answer{nil, nil}, answer{nil, nil}, nil, true},
	}
	for _, tt := range tests {
		r := newResolver(context.Background())
		r.lookupFamily = func(_ context.Context, network, host string) ([]netip.Addr, error) {
			if host != "h" {
				t.Fatalf("%s: looked up %q", tt.name, host)
			}
			switch network {
			case "ip4":
				return tt.ip4.addrs, tt.ip4.err
			case "ip6":
				return tt.ip6.addrs, tt.ip6.err
			}
			t.Fatalf("%s: network %q", tt.name, network)
			return nil, nil
		}
		got, err := r.lookupAccessHost("h")
		if tt.want != nil {
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
			}
			continue
		}
		var le *LookupError
		if got != nil || !errors.As(err, &le) || le.NotFound() != tt.notFound {
			t.Errorf("%s: got %v, %v; want a LookupError with NotFound %v", tt.name, got, err, tt.notFound)
		}
	}
}

// TestPolicyNoAccessUnresolved: a no_access name that does not resolve,
// whether it does not exist or its lookup failed, is an error and the
// service is not kept; an only_from name that does not resolve is a
// warning (it only refuses more) and the service is kept.
func TestPolicyNoAccessUnresolved(t *testing.T) {
	for _, lookupErr := range []error{
		&net.DNSError{Err: "no such host", Name: "gone.invalid", IsNotFound: true},
		&net.DNSError{Err: "server misbehaving", Name: "gone.invalid", IsTemporary: true},
	} {
		r := newResolver(context.Background())
		r.lookupFamily = func(context.Context, string, string) ([]netip.Addr, error) { return nil, lookupErr }
		s := &config.Service{Pos: config.Pos{File: "x.conf", Line: 4}, Name: "a", Proto: config.TCP4, NoAccess: []string{"10.0.0.1", "gone.invalid"}}
		var probs config.Problems
		if r.policy(s, &probs) || s.Policy != nil {
			t.Errorf("%v: no_access: the service is kept", lookupErr)
		}
		if len(probs) != 1 || probs[0].Warning || !strings.HasPrefix(probs[0].Error(), `x.conf:4: no_access: "gone.invalid": cannot resolve host name (`) {
			t.Errorf("%v: no_access: problems:\n%s", lookupErr, probs.Error())
		}

		s = &config.Service{Pos: config.Pos{File: "x.conf", Line: 4}, Name: "a", Proto: config.TCP4, OnlyFrom: []string{"10.0.0.1", "gone.invalid"}}
		probs = nil
		if !r.policy(s, &probs) || s.Policy == nil {
			t.Errorf("%v: only_from: the service is not kept", lookupErr)
		}
		if len(probs) != 1 || !probs[0].Warning {
			t.Errorf("%v: only_from: problems:\n%s", lookupErr, probs.Error())
		}
		if ok, _ := s.Policy.Allowed(netip.MustParseAddr("10.0.0.2"), time.Now()); ok {
			t.Errorf("%v: only_from: 10.0.0.2 allowed", lookupErr)
		}
	}
}
