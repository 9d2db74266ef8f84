package spawn

import (
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sigaction is the kernel's struct sigaction on linux/amd64 and arm64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// SetupSIGCHLD makes the kernel keep exited children as zombies without
// sending ginetd a SIGCHLD at all: the supervisor learns of exits from
// pidfds or by polling, and collects statuses with Reap and ReapAny.
//
// It first tells the runtime to stop handling SIGCHLD (signal.Ignore), then
// sets the disposition to SIG_DFL with a raw rt_sigaction. SIG_DFL, unlike
// SIG_IGN, keeps exit statuses (no auto-reap) and, unlike SIG_IGN, is what
// an exec'd child inherits, so every child still starts with SIGCHLD at
// its default. Delivering SIGCHLD through os/signal would cost every
// connection two extra thread wake-ups (docs/benchmarks.md).
//
// Nothing else in the process may wait for children (no os/exec Wait):
// the central reaper would race it.
func SetupSIGCHLD() error {
	signal.Ignore(syscall.SIGCHLD)
	act := sigaction{handler: 0 /* SIG_DFL */}
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(syscall.SIGCHLD),
		uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
