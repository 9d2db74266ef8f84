package daemon

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDeps enforces that the package builds, and imports only the standard
// library and golang.org/x/sys, on every platform it is meant for.
func TestDeps(t *testing.T) {
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, goos := range []string{runtime.GOOS, "linux", "freebsd", "darwin"} {
		cmd := exec.Command(gocmd, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GOOS=%s go list: %v\n%s", goos, err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if pkg == "github.com/ginetd/ginetd/daemon" || strings.HasPrefix(pkg, "golang.org/x/sys/") {
				continue
			}
			t.Errorf("GOOS=%s: daemon depends on %s; only the standard library and golang.org/x/sys are allowed", goos, pkg)
		}
		// go list does not type-check: build it (a library's build
		// writes nothing).
		cmd = exec.Command(gocmd, "build", ".")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s go build: %v\n%s", goos, err, out)
		}
	}
}
