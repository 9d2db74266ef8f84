// Package confread reads the files a configuration names, the one way
// every reader of ginetd's configuration does: the configuration files
// themselves, the files they include (both dialects: NetBSD's .include,
// xinetd's include and includedir) and the files a service names (TLS
// material, banners).
//
// A file must be a regular file: a FIFO, a device or a directory is
// refused at once, never read, so that `ginetd check` cannot block on one
// or be fed without end. It is opened without blocking (O_NONBLOCK, so
// that opening a FIFO does not wait for a writer; O_NOCTTY), checked with
// fstat on the open descriptor (no race between a check and the open),
// and read up to a limit, so that no file's size sizes an allocation
// beyond it.
//
// A file being written is not read half-way (ginetd.conf(5), Reading
// files): not while a process has it open for writing, and read again
// when its status (size, times, inode) changes while it is read; all for
// at most MaxWait. A file is read under a read lease (see takeLease),
// which no writer can open it during; where no lease can be had, a file
// that changed less than Settle ago is read again once it has been left
// alone that long.
//
// A Reader reads a configuration file and the files it includes, with one
// include-cycle detection (symbolic links resolved), one depth limit and
// one set of messages for both dialects. It reads through an io/fs.FS: the
// operating system's files, or an fstest.MapFS in tests.
package confread

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

// Errors of reading a file besides those of open(2) and read(2). A
// directory is refused with syscall.EISDIR.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("file too large")
	ErrChanging   = errors.New("file still being written")
)

// MaxConfig is the limit for a configuration file or an included one.
const MaxConfig = 16 << 20

// MaxDepth bounds include nesting, cycles aside (a file that changes
// while it is read can hide a cycle).
const MaxDepth = 32

// Settle and MaxWait say when a file that could not be read under a lease
// is taken to be written whole: once its status has not changed for
// Settle, as its change time (ctime) says or as seen across a wait of that
// long. A file still open for writing, or changing, after MaxWait is read
// as it is then, with a warning, or refused if it was open for writing or
// changed during that last read. A file open for writing is looked at
// again every minWait.
const (
	Settle  = 200 * time.Millisecond
	MaxWait = 2 * time.Second
	minWait = 10 * time.Millisecond
)

// ReadFile returns the contents of the regular file name, at most limit
// bytes, once it has settled (see Settle). An error is a *fs.PathError
// whose Err is ErrNotRegular, ErrTooLarge, ErrChanging, syscall.EISDIR or
// the system's error.
func ReadFile(name string, limit int64) ([]byte, error) {
	var probs config.Problems
	return NewReader(nil, &probs).read(name, limit)
}

// ParseFunc parses the text src of the file name.
type ParseFunc func(name string, src []byte)

// A Reader reads configuration files from one file system and adds the
// problems it finds to one list. Its methods nest: a ParseFunc they call
// may call Include, IncludeGlob or IncludeDir, and the Reader keeps the
// chain of files being read.
type Reader struct {
	fsys  fs.FS
	cwd   string // fs path relative names are resolved against; "" = unknown
	probs *config.Problems
	chain []link

	now   func() time.Time
	sleep func(time.Duration)
	lease func(fs.File) lease
}

// link is one file in the chain of includes being read.
type link struct{ id, name string }

// NewReader returns a Reader of fsys, or of the operating system's files
// when fsys is nil. Names are operating-system names, absolute or relative
// to the working directory; on fsys, an absolute name "/a/b" is "a/b" and
// a relative name is resolved against fsys's root.
func NewReader(fsys fs.FS, probs *config.Problems) *Reader {
	r := &Reader{fsys: fsys, cwd: ".", probs: probs, now: time.Now, sleep: time.Sleep, lease: takeLease}
	if fsys == nil {
		r.fsys = osFS{}
		r.cwd = ""
		if wd, err := os.Getwd(); err == nil && filepath.IsAbs(wd) {
			r.cwd = fsName(wd)
		}
	}
	return r
}

// ReadFile reads the configuration file name, as ReadFile does, with
// MaxConfig for a limit; a warning (a file still changing) goes to the
// Reader's problems.
func (r *Reader) ReadFile(name string) ([]byte, error) {
	return r.read(name, MaxConfig)
}

// Parse calls parse with the text src of the top-level file name, which
// is on the chain of files being read while parse runs.
func (r *Reader) Parse(name string, src []byte, parse ParseFunc) {
	r.chain = append(r.chain, link{r.id(name), name})
	defer func() { r.chain = r.chain[:len(r.chain)-1] }()
	parse(name, src)
}

// Include reads the file name, which the line at pos includes, and parses
// it. A problem (too deep, a cycle, a file that cannot be read, is a
// directory or is not a regular file) is an error at pos.
func (r *Reader) Include(pos config.Pos, name string, parse ParseFunc) {
	if r.tooDeep(pos) {
		return
	}
	r.include(pos, name, parse, false)
}

// IncludeGlob reads every file that the pattern matches, in sorted order,
// as Include does. A pattern that matches nothing is no problem; a match
// that is not a regular file is skipped with a warning.
func (r *Reader) IncludeGlob(pos config.Pos, pattern string, parse ParseFunc) {
	if r.tooDeep(pos) {
		return
	}
	p, err := r.path(pattern)
	if err == nil && !filepath.IsAbs(pattern) {
		// The working directory is not part of the pattern.
		if p = path.Join(escapeMeta(r.cwd), filepath.ToSlash(pattern)); !fs.ValidPath(p) {
			err = fs.ErrInvalid
		}
	}
	if err == nil {
		var m []string
		if m, err = fs.Glob(r.fsys, p); err == nil {
			for _, name := range m {
				r.include(pos, r.display(name, pattern), parse, true)
			}
			return
		}
	}
	r.probs.Errorf(pos, "bad include pattern %q: %s", pattern, ErrText(err))
}

// IncludeDir reads the files in the directory dir whose names keep
// accepts, in byte order of the names, as Include does. Subdirectories are
// passed over; any other file that is not a regular file is skipped with a
// warning.
func (r *Reader) IncludeDir(pos config.Pos, dir string, keep func(name string) bool, parse ParseFunc) {
	if r.tooDeep(pos) {
		return
	}
	p, err := r.path(dir)
	var ents []fs.DirEntry
	if err == nil {
		ents, err = fs.ReadDir(r.fsys, p) // sorted by name
	}
	if err != nil {
		r.probs.Errorf(pos, "cannot include %q: %s", dir, ErrText(err))
		return
	}
	for _, de := range ents {
		if de.IsDir() || !keep(de.Name()) {
			continue
		}
		r.include(pos, filepath.Join(dir, de.Name()), parse, true)
	}
}

func (r *Reader) tooDeep(pos config.Pos) bool {
	if len(r.chain) >= MaxDepth {
		r.probs.Errorf(pos, "includes nested more than %d deep", MaxDepth)
		return true
	}
	return false
}

// include reads and parses one file. skip says that a file that is not a
// regular file is skipped with a warning rather than an error.
func (r *Reader) include(pos config.Pos, name string, parse ParseFunc, skip bool) {
	id := r.id(name)
	for i, c := range r.chain {
		if c.id == id {
			var names []string
			for _, c := range r.chain[i:] {
				names = append(names, c.name)
			}
			names = append(names, name)
			r.probs.Errorf(pos, "include cycle: %s", strings.Join(names, " -> "))
			return
		}
	}
	src, err := r.ReadFile(name)
	if err != nil {
		if skip && (errors.Is(err, ErrNotRegular) || errors.Is(err, syscall.EISDIR)) {
			r.probs.Warnf(pos, "skipping %q: not a regular file", name)
		} else {
			r.probs.Errorf(pos, "cannot include %q: %s", name, ErrText(err))
		}
		return
	}
	r.chain = append(r.chain, link{id, name})
	defer func() { r.chain = r.chain[:len(r.chain)-1] }()
	parse(name, src)
}

// read reads the file name when no process has it open for writing and
// its status did not change while it was read; read without a lease, also
// when it has settled (see Settle). Each check takes one clock reading,
// after the file's status.
func (r *Reader) read(name string, limit int64) ([]byte, error) {
	p, err := r.path(name)
	if err != nil {
		return nil, err
	}
	var start time.Time
	var seen stamp // the status last seen, since seenAt
	var seenAt time.Time
	for try := 0; ; try++ {
		b, st, l, whole, err := r.readOnce(p, name, limit)
		if err != nil {
			return nil, err
		}
		if whole && l == leased {
			// Read while no writer had it open: it is as the last
			// writer left it.
			return b, nil
		}
		now := r.now()
		if try == 0 {
			start = now
		}
		age := now.Sub(st.ctime)
		if whole && (age >= Settle || try > 0 && st == seen && now.Sub(seenAt) >= Settle) {
			return b, nil
		}
		waited := now.Sub(start)
		if waited >= MaxWait {
			if !whole {
				return nil, &fs.PathError{Op: "read", Path: name, Err: ErrChanging}
			}
			r.probs.Warnf(config.Pos{File: name}, "still changing after %v; read as it was", MaxWait)
			return b, nil
		}
		if try == 0 || st != seen {
			seen, seenAt = st, now
		}
		// Wait until the writer is gone (look again after minWait), the
		// change is Settle old, or Settle from now when its time is in the
		// future or the file changed while read; never less than minWait,
		// so that a file is opened at most MaxWait/minWait+2 times.
		d := Settle
		switch {
		case l == writers:
			d = minWait
		case whole && age > 0:
			d = max(Settle-age, minWait)
		}
		r.sleep(min(d, MaxWait-waited))
	}
}

// stamp is what says a file changed: its identity, size and times.
type stamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime time.Time
}

func stampOf(fi fs.FileInfo) stamp {
	s := stamp{size: fi.Size(), mtime: fi.ModTime(), ctime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.dev, s.ino = uint64(st.Dev), uint64(st.Ino)
		s.ctime = time.Unix(st.Ctim.Unix())
	}
	return s
}

// readOnce reads the file at the fs path p. whole says that its status
// was the same before and after the read (the name then still names the
// same file); st is its status after; l says whether it was read under a
// lease. A file open for writing is not read (l is writers).
func (r *Reader) readOnce(p, name string, limit int64) (b []byte, st stamp, l lease, whole bool, err error) {
	f, err := r.fsys.Open(p)
	if err != nil {
		return nil, st, l, false, rename(err, name)
	}
	defer f.Close() // releases the lease
	fi, err := f.Stat()
	if err != nil {
		return nil, st, l, false, rename(err, name)
	}
	switch {
	case fi.IsDir():
		err = syscall.EISDIR
	case !fi.Mode().IsRegular():
		err = ErrNotRegular
	case fi.Size() > limit:
		err = ErrTooLarge
	}
	if err == nil {
		if l = r.lease(f); l == writers {
			return nil, stampOf(fi), l, false, nil
		}
	}
	if err == nil {
		b, err = io.ReadAll(io.LimitReader(f, limit+1))
		if err == nil && int64(len(b)) > limit {
			err = ErrTooLarge
		}
	}
	if err != nil {
		return nil, st, l, false, rename(err, name)
	}
	after, err := fs.Stat(r.fsys, p)
	if err != nil {
		// Renamed away or removed after the read: read again.
		return b, stampOf(fi), l, false, nil
	}
	st = stampOf(after)
	return b, st, l, st == stampOf(fi), nil
}

// A lease says what takeLease found.
type lease int

const (
	noLease lease = iota // none can be had: the file's status alone decides
	leased               // held: no process has the file open for writing
	writers              // refused: a process has the file open for writing
)

// takeLease asks for a read lease on f (fcntl F_SETLEASE), which Linux
// refuses while any process has the file open for writing (and truncate(2)
// needs a writable file or breaks the lease), and which, once held, makes
// an open for writing or a truncate wait until f is closed. A file read
// under it is whole as its last writer closed it. No lease can be had
// where the file is not the caller's and it lacks CAP_LEASE, on a file
// system without leases, or for a file that is not an *os.File. The lease
// is released when f is closed; a writer that opens the file meanwhile
// makes the kernel send SIGIO, which the Go runtime ignores unless asked
// for.
func takeLease(f fs.File) lease {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return noLease
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return noLease
	}
	rc.Control(func(fd uintptr) {
		_, err = unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_RDLCK)
	})
	switch err {
	case nil:
		return leased
	case unix.EAGAIN:
		return writers
	}
	return noLease
}

// rename makes err a *fs.PathError about name.
func rename(err error, name string) error {
	if pe, ok := err.(*fs.PathError); ok {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return &fs.PathError{Op: "read", Path: name, Err: err}
}

// path returns the fs path of the operating-system name.
func (r *Reader) path(name string) (string, error) {
	var p string
	switch {
	case filepath.IsAbs(name):
		p = fsName(name)
	case r.cwd == "":
		return "", &fs.PathError{Op: "open", Path: name, Err: errors.New("relative name and no working directory")}
	default:
		p = path.Join(r.cwd, filepath.ToSlash(name))
	}
	if !fs.ValidPath(p) {
		return "", &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return p, nil
}

// fsName is the fs path of the absolute name.
func fsName(name string) string {
	p := strings.TrimPrefix(path.Clean(filepath.ToSlash(name)), "/")
	if p == "" {
		return "."
	}
	return p
}

// display is the operating-system name of the fs path p, relative when
// the name it came from (like) is.
func (r *Reader) display(p, like string) string {
	if p == "." {
		p = ""
	}
	if filepath.IsAbs(like) {
		return "/" + p
	}
	if rel, err := filepath.Rel("/"+r.cwd, "/"+p); err == nil {
		return rel
	}
	return "/" + p
}

// id names the file name for include-cycle detection: its fs path with
// symbolic links resolved, so that every spelling of one file is one ID.
func (r *Reader) id(name string) string {
	p, err := r.path(name)
	if err != nil {
		return filepath.Clean(name)
	}
	return "/" + realPath(r.fsys, p)
}

// maxLinks bounds the symbolic links followed in one path, as Linux does.
const maxLinks = 40

// realPath resolves the symbolic links in the fs path p, as
// filepath.EvalSymlinks does. Where it cannot (a file system without
// links, a missing file, a loop), it returns what it resolved so far
// followed by the rest of p.
func realPath(fsys fs.FS, p string) string {
	rl, ok := fsys.(fs.ReadLinkFS)
	if !ok {
		return p
	}
	done, rest, links := "", p, 0
	for rest != "" {
		var elem string
		elem, rest, _ = strings.Cut(rest, "/")
		switch elem {
		case "", ".":
			continue
		case "..":
			if done = path.Dir(done); done == "." {
				done = ""
			}
			continue
		}
		next := path.Join(done, elem)
		fi, err := rl.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			if err != nil {
				return path.Join(done, rest)
			}
			continue
		}
		target, err := rl.ReadLink(next)
		if links++; err != nil || links > maxLinks {
			return path.Join(next, rest)
		}
		if strings.HasPrefix(target, "/") {
			done = ""
		}
		rest = strings.TrimPrefix(target, "/") + "/" + rest
	}
	if done == "" {
		return "."
	}
	return done
}

// escapeMeta quotes the glob metacharacters of p.
func escapeMeta(p string) string {
	if !strings.ContainsAny(p, `*?[\`) {
		return p
	}
	var b strings.Builder
	for _, c := range p {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ErrText is err's text without the name and operation a *fs.PathError
// adds: "no such file or directory", not "open x: no such file or
// directory".
func ErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// osFS is the operating system's file system as an fs.FS rooted at "/".
// It opens files without blocking (see ReadFile) and reads symbolic links.
type osFS struct{}

func (osFS) name(op, p string) (string, error) {
	if !fs.ValidPath(p) {
		return "", &fs.PathError{Op: op, Path: p, Err: fs.ErrInvalid}
	}
	return "/" + p, nil
}

func (o osFS) Open(p string) (fs.File, error) {
	name, err := o.name("open", p)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil fs.File
	}
	return f, nil
}

func (o osFS) Stat(p string) (fs.FileInfo, error) {
	name, err := o.name("stat", p)
	if err != nil {
		return nil, err
	}
	return os.Stat(name)
}

func (o osFS) Lstat(p string) (fs.FileInfo, error) {
	name, err := o.name("lstat", p)
	if err != nil {
		return nil, err
	}
	return os.Lstat(name)
}

func (o osFS) ReadLink(p string) (string, error) {
	name, err := o.name("readlink", p)
	if err != nil {
		return "", err
	}
	return os.Readlink(name)
}
