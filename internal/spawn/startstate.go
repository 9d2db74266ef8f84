package spawn

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/spawn/startlimit"
)

// What ginetd was started with, and what its children must not inherit
// from it (docs/ginetd.8, CHILDREN). A child starts as BSD inetd's do:
// every signal at SIG_DFL, none blocked, and the resource limits ginetd
// itself was started with.
//
// The kernel keeps an ignored disposition across fork and exec, and
// CLONE_CLEAR_SIGHAND resets handlers only; the Go runtime installs its
// handler over most inherited SIG_IGN dispositions (exec resets those),
// but keeps SIG_IGN for SIGHUP and SIGINT and never touches SIGTSTP,
// SIGTTIN and SIGTTOU. ignoredSigs lists the ones ginetd holds ignored
// once its runtime has started; a child resets exactly those. ginetd
// itself ignores no further signal later (SetupSIGCHLD leaves SIGCHLD at
// SIG_DFL), and os/signal only ever restores an inherited SIG_IGN, so
// the set stays true.
//
// blockedSigs is the signal mask ginetd was started with: the runtime
// gives every thread it starts that mask, and syscall.ForkExec's child
// execs with its thread's mask.
//
// The Go runtime (package syscall's init) raises ginetd's own soft
// RLIMIT_NOFILE; startlimit recorded it before. syscall.ForkExec and
// syscall.Exec restore it themselves; the clone3 child restores
// childNofile when it is set.
var (
	ignoredSigs uint64 // bit n-1 set: signal n is SIG_IGN in ginetd
	blockedSigs uint64
	startNofile [2]uint64  // soft, hard
	childNofile *[2]uint64 // &startNofile when it differs from ginetd's own now
)

func init() {
	for sig := 1; sig <= 64; sig++ {
		if sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
			continue
		}
		var old sigaction
		_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		if errno == 0 && old.handler == 1 { // SIG_IGN
			ignoredSigs |= 1 << (sig - 1)
		}
	}
	// Package initialization runs on the main thread, which the runtime
	// started with the inherited mask (less the few signals it needs).
	var set unix.Sigset_t
	if unix.PthreadSigmask(unix.SIG_BLOCK, nil, &set) == nil {
		blockedSigs = set.Val[0]
	}
	if soft, hard, ok := startlimit.Nofile(); ok {
		var now unix.Rlimit
		if unix.Getrlimit(unix.RLIMIT_NOFILE, &now) == nil && (now.Cur != soft || now.Max != hard) {
			startNofile = [2]uint64{soft, hard}
			childNofile = &startNofile
		}
	}
}

// startDirty reports whether ginetd was started with signal state that
// syscall.ForkExec would hand on: an ignored signal or a blocked one.
// Such a start sends the ForkExec path through the trampoline, which
// resets them (trampoline.go).
func startDirty() bool { return ignoredSigs != 0 || blockedSigs != 0 }
