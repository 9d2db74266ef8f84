package inetdconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func FuzzParse(f *testing.F) {
	fsys := fstest.MapFS{}
	seeds := []string{
		"echo stream tcp nowait root internal\n",
		"echo on protocol = tcp, user = root, args = \"a\\x41\" 'b';\n.include inetd.d/*.conf\n",
		"[::1]:\nfoo stream,3:f tcp6,sndbuf=1 nowait/1/2/3 u:g/c /p a\n\tb\n#@ x\n",
	}
	for _, name := range corpus(f) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	inc, _ := filepath.Glob("testdata/netbsd/inetd.d/*")
	for _, name := range inc {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		fsys["inetd.d/"+filepath.Base(name)] = &fstest.MapFile{Data: b}
		seeds = append(seeds, string(b))
	}
	fsys["loop.conf"] = &fstest.MapFile{Data: []byte(".include inetd.conf\n")}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		files := fstest.MapFS{"inetd.conf": {Data: []byte(src)}}
		for k, v := range fsys {
			files[k] = v
		}
		svcs, ps := parse(files, "inetd.conf", []byte(src))
		checkInvariants(t, svcs, ps)
		lines := strings.Count(src, "\n") + 1
		for _, p := range ps {
			if p.Pos.File == "inetd.conf" && p.Pos.Line > lines {
				t.Errorf("problem past the end of the file: %v", p)
			}
		}
		for _, s := range svcs {
			if s.Pos.File == "inetd.conf" && s.Pos.Line > lines {
				t.Errorf("service past the end of the file: %v", s.Pos)
			}
		}
	})
}
