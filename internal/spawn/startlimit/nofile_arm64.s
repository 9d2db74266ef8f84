#include "textflag.h"

// func getNofile(lim *[2]uint64) bool: prlimit64(0, RLIMIT_NOFILE, NULL, lim) == 0
TEXT ·getNofile(SB),NOSPLIT,$0-9
	MOVD	$0, R0
	MOVD	$7, R1 // RLIMIT_NOFILE
	MOVD	$0, R2
	MOVD	lim+0(FP), R3
	MOVD	$261, R8 // SYS_prlimit64
	SVC
	CMP	$0, R0
	CSET	EQ, R4
	MOVB	R4, ret+8(FP)
	RET
