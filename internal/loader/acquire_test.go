package loader

import (
	"context"
	"os"
	"path/filepath"
	"testing"
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
