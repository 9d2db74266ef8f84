package loader

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ginetd/ginetd/internal/cgroup"
)

// TestAcquireLogFile: Acquire opens (and creates) a log_type file for
// appending, a file it cannot open is a warning, and Release closes what
// it opened. Load, which check runs, creates nothing.
func TestAcquireLogFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "svc.log")
	bad := filepath.Join(dir, "missing", "svc.log")
	conf := filepath.Join(dir, "xinetd.conf")
	os.WriteFile(conf, []byte(`service a
{
	type        = INTERNAL UNLISTED
	id          = echo
	socket_type = stream
	protocol    = tcp
	bind        = 127.0.0.1
	port        = 0
	wait        = no
	log_type    = FILE `+good+`
}
service b
{
	type        = INTERNAL UNLISTED
	id          = daytime
	socket_type = stream
	protocol    = tcp
	bind        = 127.0.0.1
	port        = 0
	wait        = no
	log_type    = FILE `+bad+`
}
`), 0o644)
	cfg, probs := Load(context.Background(), []string{conf}, Options{})
	if cfg == nil || len(cfg.Services) != 2 {
		t.Fatalf("Load: %v", probs)
	}
	if _, err := os.Stat(good); !os.IsNotExist(err) {
		t.Fatalf("Load created the log file (err %v)", err)
	}
	probs = Acquire(cfg)
	a, b := cfg.Services[0], cfg.Services[1]
	if a.LogFile == nil || b.LogFile != nil {
		t.Fatalf("LogFile %v, %v; want the first only", a.LogFile, b.LogFile)
	}
	want := conf + ":12: warning: b/tcp4: log_type FILE " + bad + ": no such file or directory; its lines go to ginetd's log only"
	if len(probs) != 1 || probs[0].Error() != want {
		t.Errorf("problems:\n%v\nwant\n%s", probs.Error(), want)
	}
	if _, err := a.LogFile.WriteString("line\n"); err != nil {
		t.Fatal(err)
	}
	Release(cfg)
	if _, err := a.LogFile.WriteString("more\n"); err == nil {
		t.Error("Release left the file open")
	}
	if b, _ := os.ReadFile(good); string(b) != "line\n" {
		t.Errorf("log file holds %q", b)
	}
}

// TestCgroupFailsClosed: a service whose memory_max, cpu_max or pids_max
// cannot be applied is left out with a FILE:LINE warning, never run
// without its caps: by Load where cgroups are not available at all (not
// root), by Acquire where its group cannot be set up. "max" is no cap,
// and needs no cgroup.
func TestCgroupFailsClosed(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "xinetd.conf")
	var svcs strings.Builder
	for _, s := range []struct{ name, id, cap string }{
		{"capped", "echo", "pids_max = 5"},
		{"uncapped", "daytime", "memory_max = max"},
	} {
		fmt.Fprintf(&svcs, "service %s\n{\n\ttype = INTERNAL UNLISTED\n\tid = %s\n\tsocket_type = stream\n\tprotocol = tcp\n\tbind = 127.0.0.1\n\tport = 0\n\twait = no\n\t%s\n}\n", s.name, s.id, s.cap)
	}
	os.WriteFile(conf, []byte(svcs.String()), 0o644)

	// A hierarchy Load finds usable as root (v1's three controllers)...
	root := t.TempDir()
	for _, c := range []string{"pids", "memory", "cpu"} {
		os.Mkdir(filepath.Join(root, c), 0o755)
	}
	old := cgroup.Root
	cgroup.Root = root
	t.Cleanup(func() { cgroup.Root = old })
	cfg, probs := Load(context.Background(), []string{conf}, Options{})
	if cfg == nil {
		t.Fatal(probs)
	}
	if os.Geteuid() != 0 {
		want := conf + ":1: warning: capped/tcp4: memory_max/cpu_max/pids_max cannot be applied: cgroups need root; entry skipped"
		if len(cfg.Services) != 1 || cfg.Services[0].Name != "uncapped" || len(probs) != 1 || probs[0].Error() != want {
			t.Fatalf("Load as non-root: %d services, problems:\n%v\nwant\n%s", len(cfg.Services), probs.Error(), want)
		}
		return
	}
	if len(cfg.Services) != 2 || len(probs) != 0 {
		t.Fatalf("Load: %d services, %v", len(cfg.Services), probs)
	}
	// ... where Setup then fails.
	cgroup.Root = "/dev/null"
	probs = Acquire(cfg)
	defer Release(cfg)
	want := conf + ":1: warning: capped/tcp4: memory_max/cpu_max/pids_max cannot be applied: mkdir /dev/null: not a directory; entry skipped"
	if len(probs) != 1 || probs[0].Error() != want {
		t.Errorf("problems:\n%v\nwant\n%s", probs.Error(), want)
	}
	if len(cfg.Services) != 1 || cfg.Services[0].Name != "uncapped" || cfg.Services[0].Cgroups != nil {
		t.Errorf("services after Acquire: %v", cfg.Services)
	}
}
