// Package spawn owns the creation of child processes: the fork/exec with
// the service socket on fds 0–2, credentials, session and signal state, and
// the child's environment. It also owns the process-wide SIGCHLD
// disposition that makes one central reaper possible.
//
// On linux/amd64 children are started with one clone3 system call
// (CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND) whose child runs a few lines
// of assembly, not Go: the kernel resets the runtime's signal handlers, the
// child makes the 4 to 7 system calls a C inetd's vfork'd child makes and
// execs, and an exec failure comes back as an errno in shared memory
// (clone_linux_amd64.go says why this is about a third cheaper per child
// than syscall.ForkExec). syscall.ForkExec remains the path on other
// systems, on kernels that refuse clone3 (before 5.5), for a chroot, and
// when a source descriptor is among the numbers 0–2 it must fill.
//
// A pidfd is taken only for a child whose end must be seen at once; the
// others are collected by polling with ReapAny. No goroutine or OS thread
// ever blocks waiting for a child, however many run at once.
//
// Settings that cannot be applied between fork and exec (rlimits, umask,
// nice, no_new_privs, a cgroup) are applied by re-executing ginetd itself
// as a small trampoline (see Trampoline) that applies them and then execs
// the program; services that use none of them pay nothing for it. The
// trampoline never writes to the client on fds 0–2: a failure, even a
// crash, comes back to ginetd on an error pipe (Child.ErrFD, ReadFailure).
//
// Every child starts with every signal at SIG_DFL, none blocked, and the
// RLIMIT_NOFILE ginetd was started with, whatever ginetd itself inherited
// (startstate.go; package startlimit records the limit before the Go
// runtime raises it). syscall.ForkExec cannot reset an inherited SIG_IGN
// or signal mask, so after such a start its path goes through the
// trampoline.
package spawn
