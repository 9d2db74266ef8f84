package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropStartupPages lets go of the pages of ginetd's own binary that only
// start-up touched (package initialisation of TLS, metrics, parsers...):
// the read-only file mappings of the executable are advised
// MADV_DONTNEED, so the kernel unmaps them from this process; whatever the
// running server needs again is faulted back from the page cache, one page
// at a time (MADV_RANDOM: no fault-around). Writable mappings (data, bss,
// heap) are never touched. This keeps idle RSS to what the server uses.
func dropStartupPages() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 6 || fl[5] != exe || strings.ContainsRune(fl[1], 'w') {
			continue
		}
		a, b, _ := strings.Cut(fl[0], "-")
		lo, err1 := strconv.ParseUint(a, 16, 64)
		hi, err2 := strconv.ParseUint(b, 16, 64)
		if err1 != nil || err2 != nil || hi <= lo {
			continue
		}
		madvise(uintptr(lo), uintptr(hi-lo), unix.MADV_RANDOM)
		madvise(uintptr(lo), uintptr(hi-lo), unix.MADV_DONTNEED)
	}
}

func madvise(addr, length uintptr, advice int) {
	unix.Syscall(unix.SYS_MADVISE, addr, length, uintptr(advice))
}
