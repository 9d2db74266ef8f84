package loader

import (
	"context"
	"errors"
	"net/netip"
	"os/user"
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
