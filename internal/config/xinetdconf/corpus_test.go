package xinetdconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ginetd/ginetd/internal/config"
)

// TestDebianCorpus reads a /etc/xinetd.conf with includedir as Debian
// ships it, with xinetd's own internal services and the xinetd.d files of
// common packages.
func TestDebianCorpus(t *testing.T) {
	svcs, ps := ParseFile("testdata/debian/xinetd.conf")
	if len(ps) != 0 {
		t.Fatalf("problems:\n%v", ps.Error())
	}
	got := map[string]*config.Service{}
	var ids []string
	for _, s := range svcs {
		got[s.ID] = s
		ids = append(ids, s.ID)
	}
	// Byte order of file names; disabled services are left out.
	want := "amanda check_mk cvspserver git nrpe rsync swat tcpmux-server tftp ftp"
	if strings.Join(ids, " ") != want {
		t.Errorf("services %q, want %q", strings.Join(ids, " "), want)
	}
	checks := []struct {
		id, what, got, want string
	}{
		{"amanda", "Proto", got["amanda"].Proto, config.TCP46},
		{"amanda", "Group", got["amanda"].Group, "disk"},
		{"tftp", "Proto", got["tftp"].Proto, config.UDP4},
		{"tftp", "Args", strings.Join(got["tftp"].Args, " "), "in.tftpd -s /var/lib/tftpboot"},
		{"tftp", "Pos", got["tftp"].Pos.String(), "testdata/debian/xinetd.d/tftp:6"},
		{"git", "PortName", got["git"].PortName, "9418"},
		{"tcpmux-server", "Builtin", got["tcpmux-server"].Builtin, "tcpmux"},
		{"ftp", "Program", got["ftp"].Program, "/usr/sbin/vsftpd"},
		{"cvspserver", "Env", strings.Join(got["cvspserver"].Env, " "), "HOME=/var/cvs"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s %s = %q, want %q", c.id, c.what, c.got, c.want)
		}
	}
}

// TestInternalEnabled enables every service of the corpus's xinetd.d
// files (disable = yes dropped) and checks they all parse.
func TestInternalEnabled(t *testing.T) {
	dir := t.TempDir()
	files, err := filepath.Glob("testdata/debian/xinetd.d/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		base := filepath.Base(f)
		if strings.ContainsAny(base, ".~") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.ReplaceAll(string(b), "= yes\n", "= no\n"))
		if err := os.WriteFile(filepath.Join(dir, base), b, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	conf := filepath.Join(dir, "xinetd.conf.main")
	if err := os.WriteFile(conf, []byte("includedir .\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	svcs, ps := ParseFile(conf)
	if ps.HasErrors() {
		t.Fatalf("errors:\n%v", ps.Errors().Error())
	}
	builtins := map[string]int{}
	for _, s := range svcs {
		if s.Builtin != "" && !s.Sensor {
			builtins[s.Builtin+"/"+s.SockType]++
		}
	}
	for _, b := range []string{"echo", "discard", "chargen", "daytime", "time"} {
		for _, st := range []string{"stream", "dgram"} {
			if builtins[b+"/"+st] != 1 {
				t.Errorf("built-in %s/%s: %d services, want 1", b, st, builtins[b+"/"+st])
			}
		}
	}
	// sgi_fam (RPC) is skipped with a warning; "groups = yes" turned
	// to no changes nothing else.
	if w := ps.Warnings(); len(w) != 1 || !strings.Contains(w[0].Msg, "RPC") {
		t.Errorf("warnings:\n%v", w.Error())
	}
}

func TestParseFileMissing(t *testing.T) {
	_, ps := ParseFile("testdata/nosuch.conf")
	if ps.Error() != "testdata/nosuch.conf: cannot read: no such file or directory" {
		t.Errorf("got %q", ps.Error())
	}
}
