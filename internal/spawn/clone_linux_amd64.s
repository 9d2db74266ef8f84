#include "textflag.h"

// Offsets into childBlock (clone_linux_amd64.go).
#define B_PATH 0
#define B_ARGV 8
#define B_ENVP 16
#define B_NFDS 24
#define B_FDS 32
#define B_SETCRED 40
#define B_NGROUPS 48
#define B_GROUPS 56
#define B_UID 64
#define B_GID 72
#define B_DIR 80
#define B_ZERO 88
#define B_ERRNO 96
#define B_NOFILE 112
#define B_IGNORED 120
#define B_DFL 128

#define SYS_rt_sigaction 13
#define SYS_rt_sigprocmask 14
#define SYS_execve 59
#define SYS_exit 60
#define SYS_chdir 80
#define SYS_setuid 105
#define SYS_setgid 106
#define SYS_setsid 112
#define SYS_setgroups 116
#define SYS_dup3 292
#define SYS_prlimit64 302
#define SYS_clone3 435

// A raw system call result in AX is an error when it lies in [-4095, -1].
#define FAILED_IF_ERR CMPQ AX, $0xfffffffffffff001; JCC fail

// func clone3Exec(args *cloneArgs, blk *childBlock) (pid, errno uintptr)
//
// The child starts on blk's own stack with every signal handler reset by
// the kernel, touches nothing but registers and blk, and never returns:
// it execs, or stores -errno in blk.errno and exits 127.
TEXT ·clone3Exec(SB),NOSPLIT,$0-32
	MOVQ	args+0(FP), DI
	MOVQ	$88, SI
	MOVQ	blk+8(FP), R12
	MOVQ	$SYS_clone3, AX
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JCC	err
	MOVQ	AX, pid+16(FP)
	MOVQ	$0, errno+24(FP)
	RET
err:
	NEGQ	AX
	MOVQ	$0, pid+16(FP)
	MOVQ	AX, errno+24(FP)
	RET

child:
	// The RLIMIT_NOFILE ginetd was started with, when the runtime raised
	// ginetd's own.
	MOVQ	B_NOFILE(R12), DX
	TESTQ	DX, DX
	JEQ	sigs
	MOVQ	$0, DI
	MOVQ	$7, SI // RLIMIT_NOFILE
	MOVQ	$0, R10
	MOVQ	$SYS_prlimit64, AX
	SYSCALL
	FAILED_IF_ERR

sigs:
	// SIG_DFL for each signal ginetd holds ignored (the kernel has reset
	// the handlers, not SIG_IGN): R13 is the set, lowest bit first.
	MOVQ	B_IGNORED(R12), R13
sigloop:
	TESTQ	R13, R13
	JEQ	mask
	BSFQ	R13, DI
	BTRQ	DI, R13
	INCQ	DI
	LEAQ	B_DFL(R12), SI
	MOVQ	$0, DX
	MOVQ	$8, R10
	MOVQ	$SYS_rt_sigaction, AX
	SYSCALL
	FAILED_IF_ERR
	JMP	sigloop

mask:
	// An empty signal mask for the program.
	MOVQ	$2, DI // SIG_SETMASK
	LEAQ	B_ZERO(R12), SI
	MOVQ	$0, DX
	MOVQ	$8, R10
	MOVQ	$SYS_rt_sigprocmask, AX
	SYSCALL
	FAILED_IF_ERR

	MOVQ	$SYS_setsid, AX
	SYSCALL
	FAILED_IF_ERR

	MOVQ	B_SETCRED(R12), AX
	TESTQ	AX, AX
	JEQ	fds
	MOVQ	B_NGROUPS(R12), DI
	MOVQ	B_GROUPS(R12), SI
	MOVQ	$SYS_setgroups, AX
	SYSCALL
	FAILED_IF_ERR
	MOVQ	B_GID(R12), DI
	MOVQ	$SYS_setgid, AX
	SYSCALL
	FAILED_IF_ERR
	MOVQ	B_UID(R12), DI
	MOVQ	$SYS_setuid, AX
	SYSCALL
	FAILED_IF_ERR

fds:
	MOVQ	$0, R13
	MOVQ	B_FDS(R12), R14
fdloop:
	CMPQ	R13, B_NFDS(R12)
	JCC	dir
	MOVLQSX	(R14)(R13*4), DI
	MOVQ	R13, SI
	MOVQ	$0, DX
	MOVQ	$SYS_dup3, AX
	SYSCALL
	FAILED_IF_ERR
	INCQ	R13
	JMP	fdloop

dir:
	MOVQ	B_DIR(R12), DI
	TESTQ	DI, DI
	JEQ	exec
	MOVQ	$SYS_chdir, AX
	SYSCALL
	FAILED_IF_ERR

exec:
	MOVQ	B_PATH(R12), DI
	MOVQ	B_ARGV(R12), SI
	MOVQ	B_ENVP(R12), DX
	MOVQ	$SYS_execve, AX
	SYSCALL

fail:
	NEGQ	AX
	MOVQ	AX, B_ERRNO(R12)
exit:
	MOVQ	$127, DI
	MOVQ	$SYS_exit, AX
	SYSCALL
	JMP	exit
