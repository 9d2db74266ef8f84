//go:build linux && (amd64 || arm64)

package startlimit

//go:noescape
func getNofile(lim *[2]uint64) bool
