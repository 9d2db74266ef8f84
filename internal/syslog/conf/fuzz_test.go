package conf

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("*.*\t/out\n     *.notice \\\n   /notice\n12345\n*.\t/dev/null\n")
	f.Add("user.*;user.!=err,mail.none @[::1]:514\n*.emerg *\nlocal7.* root,alice\n")
	f.Add("*.* |/fifo\n$ModLoad x\n")
	f.Fuzz(func(t *testing.T, src string) {
		cfg, errs := Parse("f", []byte(src))
		lines := strings.Count(src, "\n") + 1
		for _, p := range errs {
			if p.Pos.File != "f" || p.Pos.Line < 1 || p.Pos.Line > lines {
				t.Fatalf("problem at bad position: %v", p)
			}
		}
		for _, r := range cfg.Rules {
			if r.Pos.Line < 1 || r.Pos.Line > lines {
				t.Fatalf("rule at bad position: %v", r.Pos)
			}
			if r.Action.Kind == File && !strings.HasPrefix(r.Action.Path, "/") {
				t.Fatalf("relative file %q", r.Action.Path)
			}
		}
	})
}
