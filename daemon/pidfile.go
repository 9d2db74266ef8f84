//go:build unix

package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// PIDFile is a PID file held by this process: it contains a pid and a
// newline, and an exclusive flock(2) on it lasts as long as the PIDFile is
// open (that is, as long as this process, or a child it handed the fd to,
// lives). A file left by an instance that was killed is not locked, so it
// does not block the next one.
type PIDFile struct {
	mu   sync.Mutex
	path string
	f    *os.File // locked; nil after Remove
}

// OpenPIDFile writes this process's pid to path and locks it. If another
// live process holds the file, it fails with an error that reads
// "pidfile PATH: already running (pid N)".
//
// The file is replaced atomically (written to a temporary file in the same
// directory, then renamed), so a reader never sees it half-written. The
// check of the old file and the rename happen under a flock on the
// directory, so two instances starting at once cannot both succeed.
func OpenPIDFile(path string) (*PIDFile, error) {
	p := &PIDFile{path: path}
	if err := p.replace(os.Getpid(), true); err != nil {
		return nil, err
	}
	return p, nil
}

// ReplacePIDFile writes this process's pid to path and locks it, like
// OpenPIDFile, but without checking whether another process holds the
// file: it is for the new process of a binary upgrade, which takes the
// file over from its live predecessor. The rename is atomic, so a reader
// finds the old pid or the new one, never no file; from the rename on,
// the lock that makes a second instance refuse to start is this
// process's (the predecessor's lock stays on the inode the rename
// unlinked).
func ReplacePIDFile(path string) (*PIDFile, error) {
	p := &PIDFile{path: path}
	if err := p.replace(os.Getpid(), false); err != nil {
		return nil, err
	}
	return p, nil
}

// Path returns the file's path.
func (p *PIDFile) Path() string { return p.path }

// Update rewrites the file with pid, atomically, keeping it locked by this
// PIDFile. A binary upgrade uses it when the new process takes over: the
// file then names the new process, while the lock stays with whichever
// process holds this PIDFile's descriptor.
func (p *PIDFile) Update(pid int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return fmt.Errorf("pidfile %s: update: already removed", p.path)
	}
	return p.replace(pid, false)
}

// Remove removes the file and releases the lock. It is the daemon's last
// act before a clean exit; later calls do nothing. A file at the path that
// is not this PIDFile's any more (a binary upgrade's new process renamed
// its own over it) is left alone.
func (p *PIDFile) Remove() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return nil
	}
	defer func() {
		p.f.Close()
		p.f = nil
	}()
	unlock, err := lockDir(filepath.Dir(p.path))
	if err != nil {
		return fmt.Errorf("pidfile %s: remove: %w", p.path, err)
	}
	defer unlock()
	var mine, there unix.Stat_t
	if unix.Fstat(int(p.f.Fd()), &mine) != nil || unix.Stat(p.path, &there) != nil ||
		mine.Dev != there.Dev || mine.Ino != there.Ino {
		return nil // gone, or another process's now
	}
	if err := os.Remove(p.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pidfile %s: remove: %w", p.path, err)
	}
	return nil
}

// Release releases the lock without touching the file: for the old
// process of a binary upgrade, whose successor has the file now.
func (p *PIDFile) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// replace writes pid to a locked temporary file and renames it over the
// path. With check set, it first fails if the current file is locked.
func (p *PIDFile) replace(pid int, check bool) error {
	dir := filepath.Dir(p.path)
	unlock, err := lockDir(dir)
	if err != nil {
		return fmt.Errorf("pidfile %s: %w", p.path, err)
	}
	defer unlock()
	if check {
		if err := checkNotRunning(p.path); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p.path)+".*")
	if err != nil {
		return fmt.Errorf("pidfile %s: %w", p.path, err)
	}
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp.Name())
			tmp.Close()
		}
	}()
	if err := unix.Flock(int(tmp.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("pidfile %s: lock: %w", p.path, err)
	}
	if _, err := fmt.Fprintf(tmp, "%d\n", pid); err != nil {
		return fmt.Errorf("pidfile %s: write: %w", p.path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("pidfile %s: %w", p.path, err)
	}
	if err := os.Rename(tmp.Name(), p.path); err != nil {
		return fmt.Errorf("pidfile %s: %w", p.path, err)
	}
	ok = true
	if p.f != nil {
		p.f.Close() // the old inode is gone from the directory
	}
	p.f = tmp
	return nil
}

// checkNotRunning fails if the file at path is locked by a live process.
func checkNotRunning(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pidfile %s: %w", path, err)
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
	if err == nil {
		return nil // stale: nobody holds it
	}
	if !errors.Is(err, unix.EWOULDBLOCK) {
		return fmt.Errorf("pidfile %s: lock: %w", path, err)
	}
	buf := make([]byte, 32)
	n, _ := f.Read(buf)
	pid, perr := strconv.Atoi(string(bytes.TrimSpace(buf[:n])))
	if perr != nil {
		return fmt.Errorf("pidfile %s: already running (pid unknown)", path)
	}
	return fmt.Errorf("pidfile %s: already running (pid %d)", path, pid)
}

// lockDirTimeout bounds the wait for another process's check-and-rename.
const lockDirTimeout = 5 * time.Second

// lockDir takes an exclusive flock on dir, retrying for a short while, and
// returns the function that releases it.
func lockDir(dir string) (func(), error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockDirTimeout)
	for {
		err = unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { d.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			d.Close()
			return nil, fmt.Errorf("lock directory %s: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
