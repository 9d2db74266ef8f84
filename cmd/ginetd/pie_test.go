package main

import (
	"os"
	"os/exec"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// pkgDir is the directory of this package, where `go build` finds ginetd.
var pkgDir, _ = os.Getwd()

// buildpie OUT: build ginetd as a position-independent executable
// (go build -buildmode=pie, the default of several distributions' Go
// packaging) at OUT, with the go tool that runs the tests (go test puts
// it first in PATH).
func cmdBuildPIE(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: buildpie OUT")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		ts.Fatalf("buildpie: %v", err)
	}
	out := ts.MkAbs(args[0])
	cmd := exec.Command(gotool, "build", "-buildmode=pie", "-o", out, ".")
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "GOFLAGS=") // the test's own flags (-race...) are not the point
	b, err := cmd.CombinedOutput()
	if err != nil {
		ts.Fatalf("go build -buildmode=pie: %v\n%s", err, b)
	}
	ts.Logf("built %s", filepath.Base(out))
}
