#include "textflag.h"

// func getNofile(lim *[2]uint64) bool: prlimit64(0, RLIMIT_NOFILE, NULL, lim) == 0
TEXT ·getNofile(SB),NOSPLIT,$0-9
	MOVQ	$0, DI
	MOVQ	$7, SI // RLIMIT_NOFILE
	MOVQ	$0, DX
	MOVQ	lim+0(FP), R10
	MOVQ	$302, AX // SYS_prlimit64
	SYSCALL
	CMPQ	AX, $0
	SETEQ	ret+8(FP)
	RET
