package access

import (
	"bufio"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/tcpdmatch.golden from the real tcpdmatch")

var (
	tcpdDaemons = []string{"in.telnetd", "sshd", "ftpd", "fingerd", "daytime", "echo", "chargen",
		"discard", "time", "IN.RSHD", "x.d", "rsh.x", "smtp", "tftp", "pop3", "imap", "telnet", "other"}
	tcpdClients = []string{"127.0.0.1", "127.0.0.2", "::1", "10.1.2.3", "10.1.2.4", "10.9.9.9",
		"10.2.3.4", "192.168.1.5", "192.168.1.6", "192.168.1.7", "172.16.1.1", "172.16.9.9",
		"2001:db8::1", "10.7.2.9", "10.1.2.13"}
)

// stricter are the cases of the tcpdmatch tests where ginetd refuses a
// client that tcpdmatch, for a client whose host name is unknown, lets
// in: ginetd does not know whether the client has a name, so a rule that
// allows by one does not allow (see match).
var stricter = map[[2]string]string{
	{"discard", "10.2.3.4"}: "hosts.allow discard: UNKNOWN does not allow; hosts.deny ALL: 10.2. refuses",
}

// tcpdVerdict runs the real tcpdmatch in dir (-d: hosts.allow and
// hosts.deny from the current directory). Only strings are handed to it;
// nothing is sent anywhere. "delegated" (twist) counts as refused.
func tcpdVerdict(t *testing.T, dir, daemon, client string) bool {
	t.Helper()
	cmd := exec.Command("tcpdmatch", "-d", daemon, client)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcpdmatch %s %s: %v", daemon, client, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "access:" {
			return f[1] == "granted"
		}
	}
	t.Fatalf("tcpdmatch %s %s: no verdict in %q", daemon, client, out)
	return false
}

// TestTcpdmatchGolden checks HostsAccess against verdicts recorded from the
// real tcpdmatch (Debian tcpd 7.6), so it runs where tcpd is missing too.
func TestTcpdmatchGolden(t *testing.T) {
	if *update {
		if _, err := exec.LookPath("tcpdmatch"); err != nil {
			t.Fatal("-update needs tcpdmatch")
		}
		var b strings.Builder
		for _, d := range tcpdDaemons {
			for _, c := range tcpdClients {
				fmt.Fprintf(&b, "%s %s %v\n", d, c, tcpdVerdict(t, "testdata", d, c))
			}
		}
		if err := os.WriteFile("testdata/tcpdmatch.golden", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := NewHostsAccess("testdata/hosts.allow", "testdata/hosts.deny", newFakeClock())
	f, err := os.Open("testdata/tcpdmatch.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d, c string
		var want bool
		if _, err := fmt.Sscan(sc.Text(), &d, &c, &want); err != nil {
			t.Fatalf("golden line %q: %v", sc.Text(), err)
		}
		got, rule := h.Check(d, netip.MustParseAddr(c), netip.Addr{})
		if why, ok := stricter[[2]string{d, c}]; ok && want {
			if got {
				t.Errorf("Check(%s, %s) = true (rule %q), want false: %s", d, c, rule, why)
			}
		} else if got != want {
			t.Errorf("Check(%s, %s) = %v (rule %q), tcpdmatch says %v", d, c, got, rule, want)
		}
		n++
	}
	if n < 30 {
		t.Fatalf("only %d golden cases", n)
	}
}

// TestTcpdmatchLive compares HostsAccess with the installed tcpdmatch on
// the same files, and on rules generated from the client list.
func TestTcpdmatchLive(t *testing.T) {
	if _, err := exec.LookPath("tcpdmatch"); err != nil {
		t.Skip("tcpdmatch not installed (apt-get install tcpd)")
	}
	dir := t.TempDir()
	for _, name := range []string{"hosts.allow", "hosts.deny"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := NewHostsAccess(filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny"), newFakeClock())
	cases := 0
	for _, d := range tcpdDaemons {
		for _, c := range tcpdClients {
			want := tcpdVerdict(t, dir, d, c)
			got, rule := h.Check(d, netip.MustParseAddr(c), netip.Addr{})
			if why, ok := stricter[[2]string{d, c}]; ok && want {
				if got {
					t.Errorf("Check(%s, %s) = true (rule %q), want false: %s", d, c, rule, why)
				}
			} else if got != want {
				t.Errorf("Check(%s, %s) = %v (rule %q), tcpdmatch says %v", d, c, got, rule, want)
			}
			cases++
		}
	}
	t.Logf("%d daemon x client cases agree with tcpdmatch", cases)
}
