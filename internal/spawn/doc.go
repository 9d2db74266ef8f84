// Package spawn owns the creation of child processes: the fork/exec with
// the service socket on fds 0–2, credentials, session and signal state, and
// the child's environment. It also owns the process-wide SIGCHLD
// disposition that makes one central reaper possible.
//
// Children are started with syscall.ForkExec (a vfork-style clone in the
// Go runtime) and a pidfd. The supervisor waits for the pidfd in its epoll
// set and collects the exit status with Reap; no goroutine or OS thread
// ever blocks waiting for a child, however many run at once.
//
// Settings that ForkExec cannot apply between fork and exec (rlimits,
// umask, nice, no_new_privs, a cgroup) are applied by re-executing ginetd
// itself as a small trampoline (see Trampoline) that applies them and then
// execs the program; services that use none of them pay nothing for it.
package spawn
