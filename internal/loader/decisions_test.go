package loader

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// load writes files (name → text) into a directory and loads them in
// the order given.
func load(t *testing.T, opts Options, files ...string) (*config.Config, config.Problems, string) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := 0; i+1 < len(files); i += 2 {
		p := filepath.Join(dir, files[i])
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, probs := Load(ctx, paths, opts)
	return cfg, probs, dir
}

func labels(cfg *config.Config) []string {
	var out []string
	for _, s := range cfg.Services {
		out = append(out, s.Label())
	}
	return out
}

// wantProblems checks that probs are exactly want, each "FILE:LINE:
// message" with the directory left out, in order.
func wantProblems(t *testing.T, probs config.Problems, dir string, want ...string) {
	t.Helper()
	var got []string
	for _, p := range probs {
		got = append(got, strings.ReplaceAll(p.Error(), dir+"/", ""))
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d: %q, want %q in it", i, got[i], want[i])
		}
	}
}

// TestLoadSkipsWhatThisHostCannotServe: a well-formed entry this host
// cannot serve is a warning and is left out; the rest runs.
func TestLoadSkipsWhatThisHostCannotServe(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, probs, d := load(t, Options{}, "inetd.conf", `
127.0.0.1:17001 stream tcp nowait root /bin/cat
127.0.0.1:nosuchservice stream tcp nowait root /bin/cat cat
127.0.0.1:17002 stream tcp nowait root /nonexistent/prog prog
127.0.0.1:17003 stream tcp nowait root `+noexec+` x
127.0.0.1:17004 stream tcp nowait nosuchuser /bin/cat cat
127.0.0.1:17005 stream tcp nowait root internal nosuchbuiltin
127.0.0.1:17006 dgram udp wait root internal tcpmux
127.0.0.1:17007 stream tcp nowait root internal daytime
`)
	if cfg == nil {
		t.Fatalf("warnings only, yet no configuration: %v", probs)
	}
	wantProblems(t, probs, d,
		"inetd.conf:3: warning: nosuchservice/tcp4: unknown service \"nosuchservice\" (not in /etc/services for tcp); entry skipped",
		"inetd.conf:4: warning: prog/tcp4: program /nonexistent/prog: no such file or directory; entry skipped",
		"inetd.conf:5: warning: x/tcp4: program "+noexec+" is not executable; entry skipped",
		"inetd.conf:6: warning: cat/tcp4: unknown user \"nosuchuser\"; entry skipped",
		"inetd.conf:7: warning: unknown built-in service \"nosuchbuiltin\"",
		"inetd.conf:8: warning: tcpmux/udp4: built-in service \"tcpmux\" has no dgram form; entry skipped",
	)
	if got := labels(cfg); !slices.Equal(got, []string{"cat/tcp4", "daytime/tcp4"}) {
		t.Errorf("services %q, want the cat and daytime entries", got)
	}
	// An entry without argv runs its program as argv[0], by its base name.
	if a := cfg.Services[0].Args; !slices.Equal(a, []string{"cat"}) {
		t.Errorf("argv %q, want [cat]", a)
	}
}

// TestLoadErrors: a file that cannot be read, a malformed entry, two
// services on one socket (naming both places, across files) make the
// whole configuration unusable.
func TestLoadErrors(t *testing.T) {
	cfg, probs, d := load(t, Options{}, "a.conf", `
127.0.0.1:17010 stream tcp nowait root internal echo
127.0.0.1:70000 stream tcp nowait root internal echo
`, "b.conf", `# a second file
127.0.0.1:17010 stream tcp nowait root internal daytime
`)
	if cfg != nil {
		t.Fatal("a configuration with errors was returned")
	}
	wantProblems(t, probs, d,
		"a.conf:3: echo/tcp4: port 70000 out of range",
		"b.conf:2: daytime/tcp4: same address and protocol as a.conf:2 (echo/tcp4)",
	)

	cfg, probs = Load(context.Background(), []string{filepath.Join(d, "missing.conf")}, Options{})
	if cfg != nil || len(probs) != 1 || !strings.Contains(probs[0].Error(), "missing.conf: cannot read") {
		t.Errorf("a missing file: %v, %v", cfg, probs)
	}
}

// TestLoadRates: the default spawn rate is inetd's 256 for inetd.conf
// and none for xinetd syntax, which gets xinetd's cps 50 10 instead;
// -R replaces both.
func TestLoadRates(t *testing.T) {
	files := []string{"inetd.conf", "127.0.0.1:17020 stream tcp nowait root /bin/cat cat\n",
		"xinetd.conf", `service x
{
	type = UNLISTED
	socket_type = stream
	protocol = tcp
	bind = 127.0.0.1
	port = 17021
	wait = no
	user = root
	server = /bin/cat
}
`}
	for _, tc := range []struct {
		name       string
		rate       int
		inetd, xin [2]int // MaxRate, CPSRate
	}{
		{"defaults", 0, [2]int{config.DefaultRate, config.NoLimit}, [2]int{config.NoLimit, config.DefaultCPSRate}},
		{"-R 10", 10, [2]int{10, config.NoLimit}, [2]int{10, config.NoLimit}},
		{"-R 0", config.Rate(0), [2]int{config.NoLimit, config.NoLimit}, [2]int{config.NoLimit, config.NoLimit}},
	} {
		cfg, probs, _ := load(t, Options{Rate: tc.rate}, files...)
		if cfg == nil || len(cfg.Services) != 2 {
			t.Fatalf("%s: %v", tc.name, probs)
		}
		for i, want := range [][2]int{tc.inetd, tc.xin} {
			s := cfg.Services[i]
			if s.MaxRate != want[0] || s.CPSRate != want[1] {
				t.Errorf("%s: %s: rate %d, cps %d; want %d, %d", tc.name, s.Label(), s.MaxRate, s.CPSRate, want[0], want[1])
			}
			if err := s.Prepared(); err != nil {
				t.Errorf("%s: %s: %v", tc.name, s.Label(), err)
			}
		}
	}
}

// TestLoadResolves: names become what the supervisor binds and runs: a
// service name its port, a user its credentials, a host name an address
// of the service's family; the program of a chrooted service is looked
// for inside the chroot.
func TestLoadResolves(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "inside"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, probs, _ := load(t, Options{}, "xinetd.conf", `service echo
{
	socket_type = stream
	protocol = tcp
	bind = localhost
	wait = no
	user = nobody
	server = /bin/cat
}
service jailed
{
	type = UNLISTED
	socket_type = stream
	protocol = tcp
	port = 17030
	wait = no
	user = root
	server = /bin/inside
	chroot = `+root+`
}
`)
	if cfg == nil || len(cfg.Services) != 2 {
		t.Fatalf("%v", probs)
	}
	echo := cfg.Services[0]
	if echo.Port != 7 || echo.Host != "127.0.0.1" {
		t.Errorf("echo binds %s:%d, want 127.0.0.1:7", echo.Host, echo.Port)
	}
	if echo.Cred == nil || echo.Cred.Uid != 65534 {
		t.Errorf("user nobody: credentials %+v", echo.Cred)
	}
	if echo.ID != "echo" {
		t.Errorf("ID %q", echo.ID)
	}
	if cfg.Services[1].Program != "/bin/inside" {
		t.Errorf("jailed program %q", cfg.Services[1].Program)
	}
}
