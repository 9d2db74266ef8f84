package spawn

import (
	"testing"
	"unsafe"
)

func TestChildBlockLayout(t *testing.T) {
	var b childBlock
	for _, c := range []struct {
		name string
		off  uintptr
		want uintptr
	}{
		{"path", unsafe.Offsetof(b.path), 0}, {"argv", unsafe.Offsetof(b.argv), 8},
		{"envp", unsafe.Offsetof(b.envp), 16}, {"nfds", unsafe.Offsetof(b.nfds), 24},
		{"fds", unsafe.Offsetof(b.fds), 32}, {"setcred", unsafe.Offsetof(b.setcred), 40},
		{"ngroups", unsafe.Offsetof(b.ngroups), 48}, {"groups", unsafe.Offsetof(b.groups), 56},
		{"uid", unsafe.Offsetof(b.uid), 64}, {"gid", unsafe.Offsetof(b.gid), 72},
		{"dir", unsafe.Offsetof(b.dir), 80}, {"zero", unsafe.Offsetof(b.zero), 88},
		{"errno", unsafe.Offsetof(b.errno), 96}, {"nofile", unsafe.Offsetof(b.nofile), 112},
		{"ignored", unsafe.Offsetof(b.ignored), 120}, {"dfl", unsafe.Offsetof(b.dfl), 128},
	} {
		if c.off != c.want {
			t.Errorf("childBlock.%s at %d, clone_linux_amd64.s says %d", c.name, c.off, c.want)
		}
	}
	if s := unsafe.Sizeof(cloneArgs{}); s != 88 {
		t.Errorf("cloneArgs is %d bytes, want 88", s)
	}
}
