//go:build !(darwin || dragonfly || freebsd || linux || netbsd)

package xinetdconf

// rlimitResource maps rlimit_* attributes to setrlimit resources. On this
// system they are not supported: a service that sets one is skipped.
var rlimitResource = map[string]int{}
