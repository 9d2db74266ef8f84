package access

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHostsCheck(t *testing.T) {
	dir := t.TempDir()
	allow, deny := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny")
	writeFile(t, allow, `# comment
  # indented: 192.0.2.9

echo, daytime : 10.0.0.0/255.0.0.0 EXCEPT 10.9.0.0/16
sshd@192.0.2.1: ALL
sshd: [2001:db8::]/48 \
  , 198.51.100.
chargen : ALL EXCEPT 203.0.113.0/24 EXCEPT 203.0.113.7
`)
	writeFile(t, deny, "ALL: ALL\n")
	h := NewHostsAccess(allow, deny, newFakeClock())
	if ps := h.Problems(); len(ps) != 1 || ps[0].Pos.Line != 2 {
		t.Fatalf("problems: %v", ps)
	}
	tests := []struct {
		daemon, peer, local string
		want                bool
		rule                string
	}{
		{"echo", "10.1.1.1", "", true, "hosts.allow:4"},
		{"DAYTIME", "10.1.1.1", "", true, "hosts.allow:4"},
		{"echo", "10.9.1.1", "", false, "hosts.deny:1"},
		{"echo", "::ffff:10.1.1.1", "", true, "hosts.allow:4"},
		{"sshd", "203.0.113.1", "192.0.2.1", true, "hosts.allow:5"},
		{"sshd", "203.0.113.1", "192.0.2.2", false, "hosts.deny:1"},
		{"sshd", "2001:db8:0:1::1", "", true, "hosts.allow:6"},
		{"sshd", "198.51.100.3", "", true, "hosts.allow:6"},
		{"chargen", "203.0.113.6", "", false, "hosts.deny:1"},
		{"chargen", "203.0.113.7", "", true, "hosts.allow:8"},
		{"chargen", "1.1.1.1", "", true, "hosts.allow:8"},
		{"indented", "192.0.2.9", "", true, "hosts.allow:2"}, // tcpd: daemons "#" and "indented"
	}
	for _, tt := range tests {
		var local netip.Addr
		if tt.local != "" {
			local = netip.MustParseAddr(tt.local)
		}
		got, rule := h.Check(tt.daemon, netip.MustParseAddr(tt.peer), local)
		wantRule := filepath.Join(dir, tt.rule)
		if got != tt.want || rule != wantRule {
			t.Errorf("Check(%s, %s, %s) = %v, %q; want %v, %q", tt.daemon, tt.peer, tt.local, got, rule, tt.want, wantRule)
		}
	}
}

func TestHostsMissingFiles(t *testing.T) {
	dir := t.TempDir()
	h := NewHostsAccess(filepath.Join(dir, "no.allow"), filepath.Join(dir, "no.deny"), newFakeClock())
	if ok, rule := h.Check("x", netip.MustParseAddr("1.2.3.4"), netip.Addr{}); !ok || rule != "" {
		t.Fatalf("missing files: %v %q", ok, rule)
	}
	if len(h.Problems()) != 0 {
		t.Fatal(h.Problems())
	}
}

func TestHostsProblems(t *testing.T) {
	src := `sshd 10.0.0.1
a: 10.0.0.0/33
b: [2001:db8::1
c: [zz]/64
d: 10.1.2.3/24
e: @staff /etc/hosts.ok gw.example.org
f: ALL : spawn /bin/true : allow
g: ALL : frobnicate
h: ALL : severity
i: ALL : deny : allow
j: ALL : keepalive yes
k: ALL : twist /bin/echo
:
`
	_, probs := parseHosts("hosts.allow", []byte(src))
	want := []string{
		"hosts.allow:1: missing ':' separator",
		"hosts.allow:2: 10.0.0.0/33: bad net/mask",
		"hosts.allow:3: [2001:db8::1: missing ']'",
		"hosts.allow:4: [zz]/64: bad IPv6",
		"hosts.allow:5: warning: 10.1.2.3/24: the net has bits outside",
		"hosts.allow:6: warning: @staff: NIS netgroups",
		"hosts.allow:6: warning: /etc/hosts.ok: file patterns",
		"hosts.allow:6: warning: gw.example.org: may match by host name",
		`hosts.allow:7: warning: option "spawn" is ignored`,
		`hosts.allow:8: warning: bad option name "frobnicate"`,
		`hosts.allow:9: warning: option "severity" needs a value`,
		`hosts.allow:10: warning: option "deny" must be the last`,
		`hosts.allow:11: warning: option "keepalive" takes no value`,
		`hosts.allow:12: warning: option twist is not supported`,
		"hosts.allow:13: warning: empty daemon list",
		"hosts.allow:13: warning: empty client list",
	}
	if len(probs) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(probs), len(want), probs)
	}
	for i := range min(len(probs), len(want)) {
		if !strings.HasPrefix(probs[i].Error(), want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, probs[i].Error(), want[i])
		}
	}
}

func TestHostsReload(t *testing.T) {
	dir := t.TempDir()
	allow, deny := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny")
	writeFile(t, deny, "ALL: ALL\n")
	clock := newFakeClock()
	h := NewHostsAccess(allow, deny, clock)
	var reported []config.Problem
	h.SetReporter(func(p config.Problem) { reported = append(reported, p) })
	peer := netip.MustParseAddr("10.1.2.3")
	check := func(want bool) {
		t.Helper()
		if got, rule := h.Check("echo", peer, netip.Addr{}); got != want {
			t.Fatalf("Check = %v (%q), want %v", got, rule, want)
		}
	}
	check(false)

	writeFile(t, allow, "echo: 10.1.2.3\n")
	check(false) // not a second yet: no stat
	clock.Advance(time.Second)
	check(true)

	// A file that cannot be read keeps the previous rules.
	if err := os.Remove(allow); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(allow, 0o755); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	check(true)
	if len(reported) != 1 || !strings.Contains(reported[0].Msg, "keeping the previous rules") {
		t.Fatalf("reported %v", reported)
	}
	clock.Advance(time.Second)
	check(true)
	if len(reported) != 1 {
		t.Fatalf("failure reported twice: %v", reported)
	}

	// Readable again, with a problem, which is reported with its line.
	if err := os.Remove(allow); err != nil {
		t.Fatal(err)
	}
	writeFile(t, allow, "\necho 10.1.2.3\n")
	clock.Advance(time.Second)
	check(false)
	if len(reported) != 2 || reported[1].Pos.Line != 2 || len(h.Problems()) != 1 {
		t.Fatalf("reported %v, problems %v", reported, h.Problems())
	}

	// Removed: no rules.
	if err := os.Remove(allow); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(deny); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	check(true)
	if len(h.Problems()) != 0 {
		t.Fatal(h.Problems())
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true},
		{"10.1.*", "10.1.2.3", true},
		{"10.1.?.3", "10.1.2.3", true},
		{"10.1.?.3", "10.1.22.3", false},
		{"*.3", "10.1.2.3", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"in.*", "IN.TELNETD", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pat, []byte(tt.s)); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.pat, tt.s, got)
		}
	}
}

// TestHostsUnknownNames: ginetd looks up no client's host name or user, so
// a pattern that depends on one (or a malformed pattern) is undecided: a
// denial that might match refuses, and an allowance that might match does
// not allow. On 10.0.0.1, which has no name here, tcpd would let in every
// client below whose rule names it by name in hosts.deny; ginetd refuses.
func TestHostsUnknownNames(t *testing.T) {
	tests := []struct {
		allow, deny string
		daemon      string
		want        bool
		rule        string
	}{
		// Denials by name refuse a client that ginetd cannot name.
		{"", "ALL: evil.example.com\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: 10.0.0.2 evil.example.com\n", "echo", false, "hosts.deny:1"},
		{"", "echo: .example.com\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: *.example.com\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: evil*\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: PARANOID\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: KNOWN\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: UNKNOWN\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: LOCAL\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: @badhosts\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: /etc/bad.hosts\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: mallory@ALL\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: ALL EXCEPT trusted.example.com\n", "echo", false, "hosts.deny:1"},
		{"", "echo@server.example.com: ALL\n", "echo", false, "hosts.deny:1"},
		{"echo: evil.example.com : deny\n", "", "echo", false, "hosts.allow:1"},
		// A malformed pattern in a denial refuses too.
		{"", "ALL: 10.0.0.0/33\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: [2001:db8::1\n", "echo", false, "hosts.deny:1"},
		// Allowances by name do not allow: the rules after them decide.
		{"echo: trusted.example.com\n", "ALL: ALL\n", "echo", false, "hosts.deny:1"},
		{"echo: ALL EXCEPT evil.example.com\n", "ALL: ALL\n", "echo", false, "hosts.deny:1"},
		{"echo: UNKNOWN\n", "ALL: ALL\n", "echo", false, "hosts.deny:1"},
		{"echo: alice@ALL\n", "ALL: ALL\n", "echo", false, "hosts.deny:1"},
		{"echo@server.example.com: ALL\n", "ALL: ALL\n", "echo", false, "hosts.deny:1"},
		{"echo: trusted.example.com\necho: 10.0.0.1\n", "ALL: ALL\n", "echo", true, "hosts.allow:2"},
		{"echo: 10.0.0.0/8 EXCEPT evil.example.com\n", "", "echo", true, ""}, // not allowed by it, not refused either
		// What does not depend on a name is decided as before.
		{"echo: 10.0.0.1\n", "ALL: evil.example.com\n", "echo", true, "hosts.allow:1"},
		{"", "sshd: evil.example.com\n", "echo", true, ""},
		{"", "ALL: 10.9.* 192.168. [2001:db8::]/32 .5 10.1.0.0/255.255.0.0 ALL@10.0.0.2\n", "echo", true, ""},
		{"", "ALL: 10.0.0.* EXCEPT evil.example.com\n", "echo", false, "hosts.deny:1"},
		{"", "ALL: ALL EXCEPT 10.0.0.1 evil.example.com\n", "echo", true, ""},
		{"echo: ALL@10.0.0.1\n", "ALL: ALL\n", "echo", true, "hosts.allow:1"},
	}
	peer := netip.MustParseAddr("10.0.0.1")
	for _, tt := range tests {
		dir := t.TempDir()
		allow, deny := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny")
		writeFile(t, allow, tt.allow)
		writeFile(t, deny, tt.deny)
		h := NewHostsAccess(allow, deny, newFakeClock())
		got, rule := h.Check(tt.daemon, peer, netip.MustParseAddr("127.0.0.1"))
		wantRule := ""
		if tt.rule != "" {
			wantRule = filepath.Join(dir, tt.rule)
		}
		if got != tt.want || rule != wantRule {
			t.Errorf("allow %q deny %q: Check(%s, %s) = %v, %q; want %v, %q", tt.allow, tt.deny, tt.daemon, peer, got, rule, tt.want, wantRule)
		}
	}
}
