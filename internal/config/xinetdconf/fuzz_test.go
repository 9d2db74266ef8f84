package xinetdconf

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/debian/xinetd.d/*")
	files = append(files, "testdata/debian/xinetd.conf")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("service a {\n include x\n}\nservice\n{\n}\n}\n{\nlimit_message = a\\\n"))
	f.Add([]byte("defaults\n{\n enabled = a\n only_from = \n}\nincludedir d\ninclude inc\n"))
	// Includes resolve in a small in-memory tree, never on disk.
	fsys := mapFS{
		"etc/inc":   {Data: []byte("service i\n{\n socket_type = stream\n wait = no\n user = u\n server = /x\n}\ninclude inc\n")},
		"etc/d/a":   {Data: []byte("defaults\n{\n instances = 3\n}\n")},
		"etc/d/b~":  {Data: []byte("junk")},
		"etc/d/sub": {Mode: fs.ModeDir | 0o755},
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		svcs, ps := parse(fsys, "/etc/xinetd.conf", src)
		for _, p := range ps {
			if p.Pos.Line <= 0 || p.Pos.File == "" {
				t.Errorf("problem without a position: %q", p.Error())
			}
		}
		for _, s := range svcs {
			if s.Pos.Line <= 0 || s.SockType == "" || s.Proto == "" {
				t.Errorf("incomplete service: %+v", s)
			}
		}
		_ = IsXinetd(src)
	})
}
