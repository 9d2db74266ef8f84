package spawn

import (
	"bytes"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The fast path: a clone3 with CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND
// whose child runs a few lines of assembly (clone_linux_amd64.s) and no Go
// code at all.
//
// syscall.ForkExec runs Go code in its vfork'd child, so before the child
// may unblock signals it must reset every handler the runtime installed
// (some 60 rt_sigaction calls, runtime.clearSignalHandlers) and it reports
// an exec failure through a pipe; the parent blocks and unblocks all
// signals around the clone. ginetd waits, blocked in vfork, for all of
// that on every connection. Here the kernel resets the handlers
// (CLONE_CLEAR_SIGHAND, Linux 5.5), the child shares the parent's memory
// and writes an exec failure's errno into the block below before it exits,
// and the parent does nothing around the clone: before its execve the
// child makes only the calls a C inetd's vfork'd child makes
// (sigprocmask, setsid, the credentials, one dup3 per descriptor, chdir
// when asked; prlimit and sigaction when ginetd's start asks for them).
//
// Why sharing the live Go heap with the child is safe. The parent thread
// stays inside clone3 until the child has exec'd or exited (CLONE_VFORK;
// only a fatal signal interrupts that wait). clone3Exec is NOSPLIT
// assembly that makes the call without entersyscall, so to the runtime
// the goroutine is running and its M keeps its P throughout: sysmon does
// not hand the P to another thread (it only asks for a preemption, which
// waits for the return), and a stop-the-world, hence any GC phase change,
// waits for this goroutine too. Other threads may go on running Go code,
// a concurrent GC mark included, but the child writes no Go pointer: it
// reads blk (and the strings and groups blk points to) and stores an
// errno, a uintptr; the kernel stores the pidfd, an int32. Everything it
// reads is reachable from the parent's frame (blk until the deferred
// Put, cred through the caller), and heap objects do not move, so none of
// it is freed or moved while the child runs. The child runs on blk.stack,
// never on the goroutine's stack, uses no g or TLS, calls nothing, and has
// no handler to run (CLONE_CLEAR_SIGHAND reset the runtime's), so no Go
// code can run on its thread.
//
// Ignored dispositions survive CLONE_CLEAR_SIGHAND, and the Go runtime
// raised ginetd's own soft RLIMIT_NOFILE: the child sets SIG_DFL for the
// signals ginetd holds ignored and restores the RLIMIT_NOFILE ginetd was
// started with (startstate.go), a system call or two only when ginetd was
// started so.
//
// A kernel without clone3 or CLONE_CLEAR_SIGHAND (or a seccomp filter
// refusing it) answers ENOSYS, EINVAL or EPERM on the first try; Start then
// uses syscall.ForkExec from then on.

// cloneArgs is the kernel's struct clone_args (CLONE_ARGS_SIZE_VER2).
type cloneArgs struct {
	flags      uint64
	pidfd      uint64
	childTid   uint64
	parentTid  uint64
	exitSignal uint64
	stack      uint64
	stackSize  uint64
	tls        uint64
	setTid     uint64
	setTidSize uint64
	cgroup     uint64
}

// childBlock is what the child reads (and writes errno into). The word
// offsets are fixed: clone_linux_amd64.s names them, TestChildBlockLayout
// checks them. Blocks come from a pool: a Go heap object does not move,
// and the strings and pointers the child reads live in the block's own
// buffers, so one spawn allocates nothing here.
type childBlock struct {
	path    *byte   // 0
	argv    **byte  // 8
	envp    **byte  // 16
	nfds    uintptr // 24
	fds     *int32  // 32: source fds; fds[i] becomes fd i (each > nfds-1)
	setcred uintptr // 40: nonzero: setgroups, setgid, setuid
	ngroups uintptr // 48
	groups  *uint32 // 56
	uid     uintptr // 64
	gid     uintptr // 72
	dir     *byte   // 80: chdir when non-nil
	zero    uint64  // 88: the empty signal mask
	errno   uintptr // 96: set by a child that failed
	pidfd   int32   // 104: clone3 writes the pidfd here
	_       int32
	nofile  *[2]uint64 // 112: RLIMIT_NOFILE to set when non-nil (childNofile)
	ignored uint64     // 120: signals to set to SIG_DFL (ignoredSigs)
	dfl     sigaction  // 128: SIG_DFL, no flags
	args    cloneArgs
	stack   [32]uint64 // the child's stack (it pushes nothing; the kernel wants one)

	strs    []byte  // path, argv and env, each NUL-terminated
	ptrs    []*byte // argv, nil, env, nil
	fdbuf   [8]int32
	groups0 [1]uint32
}

var blocks = sync.Pool{New: func() any { return new(childBlock) }}

// pack lays out path, argv, env (and dir) NUL-terminated in blk.strs
// with the pointer arrays execve wants in blk.ptrs. A string with a NUL
// in it is EINVAL, as in syscall.ForkExec.
func (blk *childBlock) pack(path string, argv, env []string, dir string) error {
	n := len(path) + len(dir) + 2
	for _, s := range argv {
		n += len(s) + 1
	}
	for _, s := range env {
		n += len(s) + 1
	}
	if cap(blk.strs) < n {
		blk.strs = make([]byte, 0, n)
	}
	if np := len(argv) + len(env) + 2; cap(blk.ptrs) < np {
		blk.ptrs = make([]*byte, 0, np)
	}
	strs, ptrs := blk.strs[:0], blk.ptrs[:0]
	// put never grows strs, so the pointers taken stay valid.
	count := 0
	put := func(s string) *byte {
		count++
		i := len(strs)
		strs = append(append(strs, s...), 0)
		return &strs[i]
	}
	blk.path = put(path)
	blk.dir = nil
	if dir != "" {
		blk.dir = put(dir)
	}
	for _, s := range argv {
		ptrs = append(ptrs, put(s))
	}
	ptrs = append(ptrs, nil)
	envAt := len(ptrs)
	for _, s := range env {
		ptrs = append(ptrs, put(s))
	}
	ptrs = append(ptrs, nil)
	blk.argv, blk.envp = &ptrs[0], &ptrs[envAt]
	blk.strs, blk.ptrs = strs, ptrs
	if bytes.Count(strs, []byte{0}) != count {
		return syscall.EINVAL // a NUL inside a string
	}
	return nil
}

// clone3Exec runs clone3(args, 88); in the child it carries out blk and
// execs. It returns the child's pid, or errno when clone3 itself failed.
func clone3Exec(args *cloneArgs, blk *childBlock) (pid, errno uintptr)

const (
	cloneClearSighand = 0x100000000 // CLONE_CLEAR_SIGHAND, Linux 5.5
)

// startFast starts the child with clone3 when it can. ok is false when
// the fast path does not apply (or the kernel refused it) and the caller
// must use syscall.ForkExec; err is then nil.
func startFast(path string, argv, env []string, files []int, cred *syscall.Credential, dir string, wantPidFD bool) (c Child, err error, ok bool) {
	if fastBroken.Load() {
		return Child{}, nil, false
	}
	for _, fd := range files {
		if fd < len(files) {
			return Child{}, nil, false // dup3 would clobber a source; ForkExec handles it
		}
	}
	blk := blocks.Get().(*childBlock)
	defer func() {
		blk.groups, blk.fds = nil, nil // not always the block's own: let them go
		blocks.Put(blk)
	}()
	if err := blk.pack(path, argv, env, dir); err != nil {
		return Child{}, err, true
	}
	fds := blk.fdbuf[:]
	if len(files) > len(fds) {
		fds = make([]int32, len(files))
	}
	for i, fd := range files {
		fds[i] = int32(fd)
	}
	blk.nfds, blk.fds = uintptr(len(files)), &fds[0]
	blk.setcred, blk.ngroups, blk.groups = 0, 0, &blk.groups0[0]
	if cred != nil {
		blk.setcred = 1
		if len(cred.Groups) > 0 {
			blk.groups = &cred.Groups[0]
		}
		blk.ngroups = uintptr(len(cred.Groups))
		blk.uid, blk.gid = uintptr(cred.Uid), uintptr(cred.Gid)
	}
	blk.errno = 0
	blk.pidfd = -1
	blk.nofile, blk.ignored = childNofile, ignoredSigs
	a := &blk.args
	*a = cloneArgs{}
	a.flags = unix.CLONE_VM | unix.CLONE_VFORK | cloneClearSighand
	if wantPidFD {
		a.flags |= unix.CLONE_PIDFD
		a.pidfd = uint64(uintptr(unsafe.Pointer(&blk.pidfd)))
	}
	a.exitSignal = uint64(syscall.SIGCHLD)
	a.stack = uint64(uintptr(unsafe.Pointer(&blk.stack[0])))
	a.stackSize = uint64(unsafe.Sizeof(blk.stack))

	// As syscall.ForkExec: no descriptor is being created without
	// O_CLOEXEC while the child exists.
	syscall.ForkLock.RLock()
	pid, errno := clone3Exec(a, blk)
	syscall.ForkLock.RUnlock()
	if errno != 0 {
		switch syscall.Errno(errno) {
		case syscall.ENOSYS, syscall.EINVAL, syscall.EPERM, syscall.E2BIG:
			fastBroken.Store(true)
			return Child{}, nil, false
		}
		return Child{}, syscall.Errno(errno), true
	}
	if blk.errno != 0 {
		// The child failed before or at execve and has exited (which is
		// what let clone3 return): collect it here, as ForkExec does.
		var ws unix.WaitStatus
		for {
			_, werr := unix.Wait4(int(pid), &ws, 0, nil)
			if werr != unix.EINTR {
				break
			}
		}
		if blk.pidfd >= 0 {
			unix.Close(int(blk.pidfd))
		}
		return Child{}, syscall.Errno(blk.errno), true
	}
	return Child{Pid: int(pid), PidFD: int(blk.pidfd), ErrFD: -1}, nil, true
}
