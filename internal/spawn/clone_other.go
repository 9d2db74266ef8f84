//go:build !(linux && amd64)

package spawn

import "syscall"

// startFast is the clone3 path of linux/amd64 (clone_linux_amd64.go);
// elsewhere every child is started with syscall.ForkExec.
func startFast(path string, argv, env []string, files []int, cred *syscall.Credential, dir string, wantPidFD bool) (c Child, err error, ok bool) {
	return Child{}, nil, false
}
