// Package startlimit records the RLIMIT_NOFILE this process was started
// with, before package syscall's init raises the soft limit to the hard
// one for the Go program itself (go.dev/issue/46279). ginetd's children
// get the limit ginetd was started with (docs/ginetd.8, CHILDREN), and
// package syscall keeps that value unexported.
//
// The package imports nothing, so the Go specification's initialization
// order runs its init before syscall's: packages are initialized one at a
// time, each step taking the first package, sorted by import path, whose
// imports are all initialized; this one is ready from the start and its
// path ("github.com/...") sorts before "syscall". TestBeforeSyscall
// checks that the order holds.
package startlimit

var (
	nofile   [2]uint64 // soft, hard
	recorded bool
)

func init() {
	recorded = getNofile(&nofile)
}

// Nofile returns the soft and hard RLIMIT_NOFILE the process was started
// with; ok is false where it could not be read (on architectures without
// the system call here, the caller falls back on what package syscall
// restores itself).
func Nofile() (soft, hard uint64, ok bool) {
	return nofile[0], nofile[1], recorded
}
