package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// noclone3 SOFT PROG ARGS...: exec PROG cleanly (every signal at its
// default, none blocked, so that ginetd needs no trampoline for them),
// with a soft RLIMIT_NOFILE of SOFT and, on amd64, a seccomp filter under
// which clone3 fails with ENOSYS, as under container profiles older than
// clone3: ginetd's fast spawn path (clone3) is refused and its children
// start by syscall.ForkExec (internal/spawn).
func noclone3() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: noclone3 SOFT PROG ARGS...")
		os.Exit(2)
	}
	soft, err := strconv.ParseUint(os.Args[1], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	lim.Cur = soft
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtime.LockOSThread() // the mask and the filter are this thread's, which execs
	// An ignored signal stays ignored through exec: put it back.
	type sigaction struct{ handler, flags, restorer, mask uintptr }
	for sig := uintptr(1); sig <= 64; sig++ {
		var old sigaction
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, sig, 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
			continue
		}
		if old.handler == 1 { // SIG_IGN
			dfl := sigaction{}
			unix.RawSyscall6(unix.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
		}
	}
	var none unix.Sigset_t
	unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil)
	if runtime.GOARCH == "amd64" {
		if err := denyClone3(); err != nil {
			fmt.Fprintln(os.Stderr, "seccomp:", err)
			os.Exit(1)
		}
	}
	prog, err := exec.LookPath(os.Args[2])
	if err == nil {
		err = syscall.Exec(prog, os.Args[2:], os.Environ())
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// denyClone3 installs, for this thread and what it execs, a seccomp
// filter that fails clone3 (435) with ENOSYS and allows everything else.
func denyClone3() error {
	const (
		auditArchX8664 = 0xc000003e
		retAllow       = 0x7fff0000
		retErrno       = 0x00050000
		nrClone3       = 435
		offNr          = 0 // struct seccomp_data
		offArch        = 4
	)
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offArch},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: auditArchX8664},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offNr},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: nrClone3},
		{Code: unix.BPF_RET | unix.BPF_K, K: retErrno | uint32(unix.ENOSYS)},
		{Code: unix.BPF_RET | unix.BPF_K, K: retAllow},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, 1 /* SECCOMP_SET_MODE_FILTER */, 0, uintptr(unsafe.Pointer(&prog))); e != 0 {
		return e
	}
	return nil
}
