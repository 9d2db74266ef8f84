package access

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

func testResolver(host string) ([]netip.Addr, error) {
	switch host {
	case "gw.example.org":
		return []netip.Addr{netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("2001:db8::7")}, nil
	case "mapped.example.org":
		return []netip.Addr{netip.MustParseAddr("::ffff:198.51.100.1")}, nil
	}
	return nil, errors.New("no such host")
}

func TestCompileAllowed(t *testing.T) {
	type peerWant struct {
		peer string
		ok   bool
		why  string
	}
	tests := []struct {
		name     string
		only, no []string
		peers    []peerWant
	}{
		{"absent lists allow", nil, nil, []peerWant{{"10.0.0.1", true, ""}, {"::1", true, ""}}},
		{"empty only_from denies all", []string{}, nil, []peerWant{{"10.0.0.1", false, ReasonOnlyFrom}, {"::1", false, ReasonOnlyFrom}}},
		{"host", []string{"128.138.12.5"}, nil, []peerWant{{"128.138.12.5", true, ""}, {"128.138.12.6", false, ReasonOnlyFrom}}},
		{"trailing zeros", []string{"128.138.0.0"}, nil, []peerWant{{"128.138.200.1", true, ""}, {"128.139.0.1", false, ReasonOnlyFrom}}},
		{"trailing zero octet", []string{"128.138.12.0"}, nil, []peerWant{{"128.138.12.99", true, ""}, {"128.138.13.1", false, ReasonOnlyFrom}}},
		{"zero middle octet is not a wildcard", []string{"10.0.0.1"}, nil, []peerWant{{"10.0.0.1", true, ""}, {"10.1.0.1", false, ReasonOnlyFrom}}},
		{"0.0.0.0 is all IPv4", []string{"0.0.0.0"}, nil, []peerWant{{"1.2.3.4", true, ""}, {"::ffff:1.2.3.4", true, ""}, {"2001:db8::1", false, ReasonOnlyFrom}}},
		{"factorized", []string{"128.138.{10,12}"}, nil, []peerWant{{"128.138.10.1", true, ""}, {"128.138.12.200", true, ""}, {"128.138.11.1", false, ReasonOnlyFrom}}},
		{"factorized .0", []string{"128.138.{10,12}.0"}, nil, []peerWant{{"128.138.12.3", true, ""}, {"128.138.13.3", false, ReasonOnlyFrom}}},
		{"factorized last octet", []string{"10.0.0.{1,3}"}, nil, []peerWant{{"10.0.0.3", true, ""}, {"10.0.0.2", false, ReasonOnlyFrom}}},
		{"cidr", []string{"10.0.0.0/8", "2001:db8::/32"}, nil, []peerWant{{"10.255.0.1", true, ""}, {"2001:db8:1::1", true, ""}, {"2001:db9::1", false, ReasonOnlyFrom}}},
		{"cidr host bits", []string{"10.1.2.3/16"}, nil, []peerWant{{"10.1.99.99", true, ""}}},
		{"v6 host", []string{"2001:db8::1"}, nil, []peerWant{{"2001:db8::1", true, ""}, {"2001:db8::2", false, ReasonOnlyFrom}}},
		{"v6 :: is all IPv6", []string{"::"}, nil, []peerWant{{"2001:db8::2", true, ""}, {"::1", true, ""}}},
		{"::/0 covers mapped IPv4", []string{"::/0"}, nil, []peerWant{{"10.0.0.1", true, ""}}},
		{"mapped peer compares as IPv4", []string{"10.0.0.0/8"}, nil, []peerWant{{"::ffff:10.1.1.1", true, ""}}},
		{"host name", []string{"gw.example.org"}, nil, []peerWant{{"192.0.2.7", true, ""}, {"2001:db8::7", true, ""}, {"192.0.2.8", false, ReasonOnlyFrom}}},
		{"resolved mapped", []string{"mapped.example.org"}, nil, []peerWant{{"198.51.100.1", true, ""}}},
		{"no_access only", nil, []string{"10.0.0.0/8"}, []peerWant{{"10.0.0.1", false, ReasonNoAccess}, {"11.0.0.1", true, ""}}},
		{"more specific no_access wins", []string{"128.138.209.0"}, []string{"128.138.209.10"}, []peerWant{{"128.138.209.10", false, ReasonNoAccess}, {"128.138.209.11", true, ""}}},
		{"more specific only_from wins", []string{"10.1.2.3"}, []string{"10.0.0.0"}, []peerWant{{"10.1.2.3", true, ""}, {"10.1.2.4", false, ReasonNoAccess}}},
		{"equal match denies", []string{"0.0.0.0/0"}, []string{"0.0.0.0"}, []peerWant{{"192.168.1.1", false, ReasonAmbiguous}}},
		{"v4 beats ::/0", []string{"10.0.0.0/8"}, []string{"::/0"}, []peerWant{{"10.0.0.1", true, ""}, {"2001:db8::1", false, ReasonNoAccess}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, errs := Compile(tt.only, tt.no, testResolver)
			for _, e := range errs {
				t.Errorf("unexpected problem: %v", e)
			}
			for _, p := range tt.peers {
				ok, why := m.Allowed(netip.MustParseAddr(p.peer))
				if ok != p.ok || why != p.why {
					t.Errorf("Allowed(%s) = %v, %q; want %v, %q", p.peer, ok, why, p.ok, p.why)
				}
			}
		})
	}
}

func TestNilMatcherAllows(t *testing.T) {
	var m *AddrMatcher
	if ok, _ := m.Allowed(netip.MustParseAddr("1.2.3.4")); !ok {
		t.Fatal("nil matcher refused")
	}
}

func TestCompileProblems(t *testing.T) {
	tests := []struct {
		tok  string
		warn bool
		msg  string
	}{
		{"10.0.0.256", false, "bad IPv4"},
		{"10.0.0", false, "four decimal octets"},
		{"10.0.0.0/33", false, "bad address/prefix-length"},
		{"10.{1,2", false, "unbalanced"},
		{"10.{1,300}", false, "bad octet"},
		{"10.{1,2}.5", false, "only .0 octets"},
		{"10.0.0.{1,2}.0", false, "more than four"},
		{"fe80::1%eth0", false, "bad IPv6"},
		{"bad host!", false, "bad host name"},
		{"", false, "empty"},
		{".example.org", true, "reverse DNS"},
		{"nosuch.example.org", true, "cannot resolve"},
		{"ALL", true, "not an xinetd address"},
	}
	for _, tt := range tests {
		m, errs := Compile([]string{"10.9.9.9", tt.tok}, nil, testResolver)
		if len(errs) != 1 {
			t.Errorf("%q: got %d problems %v, want 1", tt.tok, len(errs), errs)
			continue
		}
		e := errs[0]
		if e.Index != 1 || e.Token != tt.tok || e.List != "only_from" || e.Warning != tt.warn || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("%q: got %+v, want index 1, warning %v, msg containing %q", tt.tok, e, tt.warn, tt.msg)
		}
		if ok, _ := m.Allowed(netip.MustParseAddr("10.9.9.9")); !ok {
			t.Errorf("%q: the good token was lost", tt.tok)
		}
		if !strings.Contains(e.Error(), "only_from") {
			t.Errorf("Error() = %q", e.Error())
		}
	}
}

func TestCompileService(t *testing.T) {
	noon := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	night := time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC)
	peer := netip.MustParseAddr("10.1.2.3")
	tests := []struct {
		svc      config.Service
		at       time.Time
		ok       bool
		why      string
		problems int
	}{
		{config.Service{}, noon, true, "", 0},
		{config.Service{OnlyFromNone: true, OnlyFrom: []string{}}, noon, false, ReasonOnlyFrom, 0},
		{config.Service{OnlyFrom: []string{}}, noon, true, "", 0}, // empty but not "given with no value"
		{config.Service{NoAccess: []string{"10.0.0.0"}}, noon, false, ReasonNoAccess, 0},
		{config.Service{AccessTimes: []string{"08:00-17:00"}}, night, false, ReasonTime, 0},
		{config.Service{AccessTimes: []string{"08:00-17:00"}, OnlyFrom: []string{"10.1.2.3", ".x.org", "1.2.3.999"}}, noon, true, "", 2},
	}
	for i, tt := range tests {
		tt.svc.Pos = config.Pos{File: "x.conf", Line: 7}
		p, probs := CompileService(&tt.svc, nil)
		if len(probs) != tt.problems {
			t.Errorf("case %d: problems %v", i, probs)
		}
		for _, pr := range probs {
			if pr.Pos.Line != 7 || !strings.Contains(pr.Msg, "only_from") {
				t.Errorf("case %d: problem %v", i, pr)
			}
		}
		if ok, why := p.Allowed(peer, tt.at); ok != tt.ok || why != tt.why {
			t.Errorf("case %d: Allowed = %v %q, want %v %q", i, ok, why, tt.ok, tt.why)
		}
	}
}

// TestNoAccessFailsClosed: a no_access token that stands for no address (a
// name that does not resolve, whatever the reason, a .domain, ALL) is an
// error, never a warning that would leave the denial out; in only_from,
// where leaving it out only refuses more, it stays a warning.
func TestNoAccessFailsClosed(t *testing.T) {
	tests := []struct {
		tok     string
		resolve Resolver
		msg     string
	}{
		{"nosuch.example.org", testResolver, "cannot resolve host name (no such host)"},
		{"gw.example.org", func(string) ([]netip.Addr, error) { return nil, errors.New("server misbehaving") }, "server misbehaving"},
		{"gw.example.org", func(string) ([]netip.Addr, error) { return nil, nil }, "no address"},
		{"gw.example.org", nil, "not resolved here"},
		{".example.org", testResolver, "reverse DNS"},
		{"ALL", testResolver, "not an xinetd address"},
	}
	for _, tt := range tests {
		m, errs := Compile(nil, []string{"10.9.9.9", tt.tok}, tt.resolve)
		if len(errs) != 1 {
			t.Errorf("no_access %q: got %d problems %v, want 1", tt.tok, len(errs), errs)
			continue
		}
		e := errs[0]
		if e.Warning || e.List != "no_access" || e.Index != 1 || !strings.Contains(e.Msg, tt.msg) || !strings.Contains(e.Msg, "would let in") {
			t.Errorf("no_access %q: got %+v, want an error containing %q", tt.tok, e, tt.msg)
		}
		if ok, _ := m.Allowed(netip.MustParseAddr("10.9.9.9")); ok {
			t.Errorf("no_access %q: the good token was lost", tt.tok)
		}

		_, errs = Compile([]string{"10.9.9.9", tt.tok}, nil, tt.resolve)
		if len(errs) != 1 || !errs[0].Warning || !strings.HasSuffix(errs[0].Msg, "it matches nothing") {
			t.Errorf("only_from %q: got %v, want one warning", tt.tok, errs)
		}
	}

	svc := config.Service{Pos: config.Pos{File: "x.conf", Line: 3}, NoAccess: []string{"nosuch.example.org"}}
	if _, probs := CompileService(&svc, testResolver); !probs.HasErrors() || len(probs.Warnings()) != 0 {
		t.Errorf("CompileService: problems %v, want one error", probs)
	} else if got, want := probs[0].Error(), `x.conf:3: no_access: "nosuch.example.org": cannot resolve host name`; !strings.HasPrefix(got, want) {
		t.Errorf("CompileService: %q, want prefix %q", got, want)
	}
}
