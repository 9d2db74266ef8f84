package scripttest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// Fails runs script (the text of a .txtar) with p's commands and
// conditions, and reports whether it failed and what it logged. A script
// that must fail cannot be run by testscript.Run, which fails the test;
// Fails runs it under a testscript.T of its own that only records.
func Fails(t *testing.T, p testscript.Params, script string) (bool, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "script.txtar")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Dir, p.Files = "", []string{file}
	p.WorkdirRoot = dir
	r := &recorder{}
	r.run(func() { testscript.RunT(r, p) })
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed, r.log.String()
}

// recorder is a testscript.T that records a failure instead of failing
// the test. FailNow ends the goroutine it is called on, as testing's does;
// run and Run give each script a goroutine of its own.
type recorder struct {
	mu     sync.Mutex
	failed bool
	log    strings.Builder
}

func (r *recorder) run(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func (r *recorder) Skip(args ...any) {
	r.Log(append([]any{"SKIP:"}, args...)...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.Log(args...)
	r.FailNow()
}

func (r *recorder) FailNow() {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Log(args ...any) {
	r.mu.Lock()
	fmt.Fprintln(&r.log, args...)
	r.mu.Unlock()
}

func (r *recorder) Parallel()     {}
func (r *recorder) Verbose() bool { return false }

func (r *recorder) Run(name string, f func(testscript.T)) {
	r.run(func() { f(r) })
}
