//go:build darwin || dragonfly || freebsd || linux || netbsd

package xinetdconf

import "syscall"

// rlimitRSS is RLIMIT_RSS, which package syscall does not name; it is 5
// on Linux and the BSDs alike.
const rlimitRSS = 5

// rlimitResource maps rlimit_* attributes to setrlimit resources.
var rlimitResource = map[string]int{
	"rlimit_as":    syscall.RLIMIT_AS,
	"rlimit_cpu":   syscall.RLIMIT_CPU,
	"rlimit_data":  syscall.RLIMIT_DATA,
	"rlimit_rss":   rlimitRSS,
	"rlimit_stack": syscall.RLIMIT_STACK,
	"rlimit_files": syscall.RLIMIT_NOFILE,
}
