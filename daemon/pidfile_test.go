//go:build unix

package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func init() {
	helpers["pidfile"] = func() int {
		pf, err := OpenPIDFile(os.Getenv("DAEMON_TEST_PIDFILE"))
		if err != nil {
			report("error %v", err)
			return 1
		}
		report("locked %d", os.Getpid())
		time.Sleep(20 * time.Second)
		pf.Remove()
		return 0
	}
}

func readPID(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPIDFileLockAndRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pid")
	pf, err := OpenPIDFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := readPID(t, path), fmt.Sprintf("%d\n", os.Getpid()); got != want {
		t.Errorf("pid file = %q, want %q", got, want)
	}
	// flock conflicts between open file descriptions, even in one process.
	_, err = OpenPIDFile(path)
	want := fmt.Sprintf("pidfile %s: already running (pid %d)", path, os.Getpid())
	if err == nil || err.Error() != want {
		t.Errorf("second OpenPIDFile: %v, want %q", err, want)
	}
	if err := pf.Update(4242); err != nil {
		t.Fatal(err)
	}
	if got := readPID(t, path); got != "4242\n" {
		t.Errorf("after Update, pid file = %q", got)
	}
	if _, err := OpenPIDFile(path); err == nil || !strings.Contains(err.Error(), "already running (pid 4242)") {
		t.Errorf("OpenPIDFile after Update: %v, want already running (pid 4242)", err)
	}
	if err := pf.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after Remove: %v", err)
	}
	if err := pf.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if err := pf.Update(1); err == nil {
		t.Errorf("Update after Remove: no error")
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestPIDFileStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pid")
	if err := os.WriteFile(path, []byte("999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pf, err := OpenPIDFile(path)
	if err != nil {
		t.Fatalf("stale pid file blocks: %v", err)
	}
	defer pf.Remove()
	if got := readPID(t, path); got != fmt.Sprintf("%d\n", os.Getpid()) {
		t.Errorf("pid file = %q", got)
	}
}

// TestPIDFileOtherProcess holds the file in a child, then kills it: the
// file it leaves behind is stale and no longer blocks.
func TestPIDFileOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pid")
	cmd, rep := helperCmd(t, "pidfile", "DAEMON_TEST_PIDFILE="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := field(readReport(t, rep, "locked"), "locked")
	_, err := OpenPIDFile(path)
	want := fmt.Sprintf("pidfile %s: already running (pid %s)", path, pid)
	if err == nil || err.Error() != want {
		t.Fatalf("OpenPIDFile while held: %v, want %q", err, want)
	}
	cmd.Process.Kill()
	waitCmd(t, cmd, 5*time.Second)
	pf, err := OpenPIDFile(path)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	pf.Remove()
}

// TestPIDFileReplace is a binary upgrade's hand-over of the pid file: the
// new holder renames its file over the old holder's, a third instance is
// still refused, and the old holder neither removes nor unlocks the file
// that is not its own any more.
func TestPIDFileReplace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pid")
	old, err := OpenPIDFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old.Update(4242) // as if held by another process
	succ, err := ReplacePIDFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := readPID(t, path), fmt.Sprintf("%d\n", os.Getpid()); got != want {
		t.Errorf("after ReplacePIDFile, pid file = %q, want %q", got, want)
	}
	if err := old.Remove(); err != nil {
		t.Fatal(err)
	}
	if got, want := readPID(t, path), fmt.Sprintf("%d\n", os.Getpid()); got != want {
		t.Errorf("the old holder's Remove left %q, want %q", got, want)
	}
	if _, err := OpenPIDFile(path); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("OpenPIDFile with the successor holding the file: %v, want already running", err)
	}
	if err := succ.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after the successor's Remove: %v", err)
	}
}
