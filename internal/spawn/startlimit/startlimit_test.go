package startlimit_test

// An external test package: the package under test must keep importing
// nothing, also in the test binary.

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ginetd/ginetd/internal/spawn/startlimit"
)

// The test binary re-runs itself under prlimit with a soft limit below
// the hard one, which package syscall raises: Nofile must still report
// the limit as started.
func TestBeforeSyscall(t *testing.T) {
	if os.Getenv("STARTLIMIT_CHILD") != "" {
		soft, hard, ok := startlimit.Nofile()
		var now syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now)
		os.Stdout.WriteString(strconv.FormatBool(ok) + " " + strconv.FormatUint(soft, 10) + " " +
			strconv.FormatUint(hard, 10) + " " + strconv.FormatUint(now.Cur, 10) + "\n")
		return
	}
	if _, _, ok := startlimit.Nofile(); !ok {
		t.Skip("not recorded on this system")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit(1)")
	}
	cmd := exec.Command(prlimit, "--nofile=100:4000", os.Args[0], "-test.run=^TestBeforeSyscall$")
	cmd.Env = append(os.Environ(), "STARTLIMIT_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 4 || f[0] != "true" || f[1] != "100" || f[2] != "4000" {
		t.Fatalf("child reported %q, want ok, soft 100, hard 4000", out)
	}
	if f[3] == "100" {
		t.Logf("package syscall did not raise the soft limit (it is %s): nothing shown", f[3])
	}
}
