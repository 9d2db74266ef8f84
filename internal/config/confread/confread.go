// Package confread reads the files a configuration names, the one way
// every reader of ginetd's configuration does: the configuration files
// themselves, the files they include (both dialects), and the files a
// service names (TLS material, banners).
//
// A file must be a regular file: a FIFO, a device or a directory is
// refused at once, never read, so that `ginetd check` cannot block on one
// or be fed without end. It is opened without blocking (O_NONBLOCK, so
// that opening a FIFO does not wait for a writer; O_NOCTTY), checked with
// fstat on the open descriptor (no race between a check and the open),
// and read up to a limit, so that no file's size sizes an allocation
// beyond it.
package confread

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Errors of ReadFile besides those of open(2) and read(2).
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("file too large")
)

// MaxConfig is the limit for a configuration file or an included one.
const MaxConfig = 16 << 20

// ReadFile returns the contents of the regular file name, at most limit
// bytes. An error is a *fs.PathError whose Err is ErrNotRegular,
// ErrTooLarge or the system's error.
func ReadFile(name string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrNotRegular}
	}
	if fi.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrTooLarge}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrTooLarge}
	}
	return b, nil
}

// ID names a file for include-cycle detection: its real absolute path,
// symbolic links resolved, so that every spelling of one file is one ID.
func ID(name string) string {
	if r, err := filepath.EvalSymlinks(name); err == nil {
		name = r
	}
	if a, err := filepath.Abs(name); err == nil {
		return a
	}
	return filepath.Clean(name)
}
