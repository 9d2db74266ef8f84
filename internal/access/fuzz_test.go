package access

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

// FuzzHostsParse: no panic; every problem has the file and a line within
// the input; Check never panics on what was parsed.
func FuzzHostsParse(f *testing.F) {
	for _, name := range []string{"testdata/hosts.allow", "testdata/hosts.deny"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a@[::1]: u@[2001:db8::]/32 EXCEPT .x EXCEPT 1.2.: allow\\\n"))
	f.Add([]byte("ALL:ALL:spawn a\\:b:deny\n@:@\n[:]\n"))
	peers := []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8::1"), {}}
	f.Fuzz(func(t *testing.T, src []byte) {
		rules, probs := parseHosts("F", src)
		lines := strings.Count(string(src), "\n") + 1
		for _, p := range probs {
			if p.Pos.File != "F" || p.Pos.Line < 1 || p.Pos.Line > lines {
				t.Fatalf("bad position %v (input has %d lines)", p.Pos, lines)
			}
		}
		for i := range rules {
			for _, peer := range peers {
				if rules[i].daemons.matchDaemon("in.telnetd", peer) != matchNo {
					rules[i].clients.matchClient(peer)
				}
			}
		}
	})
}

// FuzzCompile: no panic; every problem names its list, index and token.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"128.138.{10,12}.0", "10.0.0.0/8", "::", "0.0.0.0", ".example.org",
		"gw.example.org", "1.{", "2001:db8::/129", "::ffff:1.2.3.4/120", "{,}", "10.0.0.{1,2}"} {
		f.Add(s, "10.0.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		only := strings.Fields(a)
		no := strings.Fields(b)
		m, errs := Compile(only, no, testResolver)
		for _, e := range errs {
			list := only
			if e.List == "no_access" {
				list = no
			} else if e.List != "only_from" {
				t.Fatalf("bad list %q", e.List)
			}
			if e.Index < 0 || e.Index >= len(list) || list[e.Index] != e.Token || e.Msg == "" {
				t.Fatalf("bad problem %+v for %q", e, list)
			}
		}
		m.Allowed(netip.MustParseAddr("10.1.2.3"))
		m.Allowed(netip.MustParseAddr("2001:db8::1"))
		_, terrs := ParseTimes(only)
		for _, e := range terrs {
			if e.Index < 0 || e.Index >= len(only) || only[e.Index] != e.Token {
				t.Fatalf("bad times problem %+v", e)
			}
		}
	})
}
