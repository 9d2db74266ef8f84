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
// at a time (MADV_RANDOM: no fault-around). This keeps idle RSS to what
// the server uses.
//
// Dropping a page is only harmless if the page cache holds the same bytes:
// a mapping is dropped only if it is a private, non-writable mapping of the
// executable in which /proc/self/smaps counts no anonymous page (resident,
// huge or swapped out). In a private file mapping, a page that differs
// from the file is an anonymous copy made on write; "dirty" counts say
// nothing here (a freshly written binary's page cache is dirty too). That
// excludes writable mappings (data, bss) and, in a position-independent
// binary, the relocated read-only data (RELRO): the dynamic loader wrote
// those pages, and the file's bytes in their place would be unrelocated
// pointers. A non-writable mapping gets no new copies afterwards: nothing
// in ginetd makes one writable again.
func dropStartupPages() {
	for _, m := range cleanExeMappings() {
		madvise(m.lo, m.hi-m.lo, unix.MADV_RANDOM)
		madvise(m.lo, m.hi-m.lo, unix.MADV_DONTNEED)
	}
}

type mapping struct{ lo, hi uintptr }

// cleanExeMappings returns the mappings of the executable that
// dropStartupPages may drop (see there). The list is built whole before
// anything is advised: advice can split or merge the kernel's mappings
// under a reader of smaps.
func cleanExeMappings() []mapping {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil
	}
	defer f.Close()
	var (
		out  []mapping
		cur  mapping
		ok   bool // cur is a candidate so far
		seen int  // how many of the counters below cur's entry had
	)
	// Every one of these must be present and 0 kB.
	mustBeZero := map[string]bool{"Anonymous": true, "Swap": true, "AnonHugePages": true}
	flush := func() {
		if ok && seen == len(mustBeZero) {
			out = append(out, cur)
		}
		ok, seen = false, 0
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fl := strings.Fields(line)
		if len(fl) == 0 {
			continue
		}
		if key, isCounter := strings.CutSuffix(fl[0], ":"); isCounter {
			if !mustBeZero[key] || !ok {
				continue
			}
			if len(fl) != 3 || fl[1] != "0" || fl[2] != "kB" {
				ok = false
				continue
			}
			seen++
			continue
		}
		// A mapping's header: lo-hi perms offset dev inode [path].
		flush()
		if len(fl) != 6 || fl[5] != exe || len(fl[1]) != 4 || fl[1][1] != '-' || fl[1][3] != 'p' {
			continue
		}
		a, b, _ := strings.Cut(fl[0], "-")
		lo, err1 := strconv.ParseUint(a, 16, 64)
		hi, err2 := strconv.ParseUint(b, 16, 64)
		if err1 != nil || err2 != nil || hi <= lo {
			continue
		}
		cur, ok = mapping{uintptr(lo), uintptr(hi)}, true
	}
	flush()
	if sc.Err() != nil {
		return nil
	}
	return out
}

func madvise(addr, length uintptr, advice int) {
	unix.Syscall(unix.SYS_MADVISE, addr, length, uintptr(advice))
}
