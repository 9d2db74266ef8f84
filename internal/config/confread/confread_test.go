package confread

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/internal/config"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("12345"), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(ok, link)
	if b, err := ReadFile(ok, 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadFile: %q, %v", b, err)
	}
	if _, err := ReadFile(ok, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	// A FIFO without a writer: refused at once, not waited on.
	if _, err := ReadFile(fifo, 5); !errors.Is(err, ErrNotRegular) {
		t.Errorf("fifo: %v", err)
	}
	if _, err := ReadFile(dir, 5); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("directory: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "none"), 5); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	r := NewReader(nil, new(config.Problems))
	if r.id(link) != r.id(ok) || r.id(ok) != ok {
		t.Errorf("id(link) %s, id(ok) %s", r.id(link), r.id(ok))
	}
}

// conf is a small configuration language for testing a Reader: each line
// is "include NAME", "glob PATTERN", "dir DIR" or a word that is recorded.
type conf struct {
	r     *Reader
	probs config.Problems
	words []string
}

func newConf(fsys fs.FS) *conf {
	c := &conf{}
	c.r = NewReader(fsys, &c.probs)
	return c
}

func (c *conf) parse(name string, src []byte) {
	for i, line := range strings.Split(string(src), "\n") {
		pos := config.Pos{File: name, Line: i + 1}
		verb, arg, _ := strings.Cut(line, " ")
		if arg != "" && !filepath.IsAbs(arg) {
			arg = filepath.Join(filepath.Dir(name), arg)
		}
		switch verb {
		case "":
		case "include":
			c.r.Include(pos, arg, c.parse)
		case "glob":
			c.r.IncludeGlob(pos, arg, c.parse)
		case "dir":
			c.r.IncludeDir(pos, arg, func(n string) bool { return !strings.Contains(n, ".") }, c.parse)
		default:
			c.words = append(c.words, verb)
		}
	}
}

// run parses the file name of fsys (nil: the operating system) and
// returns the words read and the problems, one string each.
func run(t *testing.T, fsys fs.FS, name string) (words, probs string) {
	t.Helper()
	c := newConf(fsys)
	src, err := c.r.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	c.r.Parse(name, src, c.parse)
	if len(c.r.chain) != 0 {
		t.Errorf("chain left: %v", c.r.chain)
	}
	return strings.Join(c.words, " "), c.probs.Error()
}

func TestIncludeMapFS(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	link := func(to string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(to), Mode: fs.ModeSymlink} }
	fsys := fstest.MapFS{
		"etc/main":       file("m1\ninclude a\nglob d/*.conf\ndir x.d\nm2\n"),
		"etc/a":          file("a1\ninclude /etc/sub/b\n"),
		"etc/sub/b":      file("b1\n"),
		"etc/d/1.conf":   file("g1\n"),
		"etc/d/2.conf":   file("g2\n"),
		"etc/d/3.conf/x": file(""),
		"etc/d/f.conf":   {Mode: fs.ModeNamedPipe},
		"etc/x.d/q":      file("q\n"),
		"etc/x.d/p":      file("p\n"),
		"etc/x.d/p.bak":  file("bak\n"),
		"etc/x.d/fifo":   {Mode: fs.ModeNamedPipe},
		"etc/x.d/sub/y":  file("y\n"),

		// A cycle through a symbolic link to a directory, and one through a
		// link to the file itself.
		"etc/loop/main":  file("include alias/main\n"),
		"etc/loop/alias": link("../loop"),
		"etc/self/main":  file("w\ninclude me\n"),
		"etc/self/me":    link("../self/./main"),
		"etc/glob/main":  file("glob *\n"),
		"etc/bad/main":   file("include missing\ninclude /etc/bad\nglob [\ndir nodir\ninclude /etc/x.d/fifo\n"),
		"etc/deep/main":  file("include main\n"),
	}
	tests := []struct {
		name, words, probs string
	}{
		{"/etc/main", "m1 a1 b1 g1 g2 p q m2",
			`/etc/main:3: warning: skipping "/etc/d/3.conf": not a regular file` + "\n" +
				`/etc/main:3: warning: skipping "/etc/d/f.conf": not a regular file` + "\n" +
				`/etc/main:4: warning: skipping "/etc/x.d/fifo": not a regular file`},
		{"etc/main", "m1 a1 b1 g1 g2 p q m2",
			`etc/main:3: warning: skipping "etc/d/3.conf": not a regular file` + "\n" +
				`etc/main:3: warning: skipping "etc/d/f.conf": not a regular file` + "\n" +
				`etc/main:4: warning: skipping "etc/x.d/fifo": not a regular file`},
		{"/etc/loop/main", "", `/etc/loop/main:1: include cycle: /etc/loop/main -> /etc/loop/alias/main`},
		{"/etc/self/main", "w", `/etc/self/main:2: include cycle: /etc/self/main -> /etc/self/me`},
		{"/etc/glob/main", "", `/etc/glob/main:1: include cycle: /etc/glob/main -> /etc/glob/main`},
		{"/etc/bad/main", "",
			`/etc/bad/main:1: cannot include "/etc/bad/missing": file does not exist` + "\n" +
				`/etc/bad/main:2: cannot include "/etc/bad": is a directory` + "\n" +
				`/etc/bad/main:3: bad include pattern "/etc/bad/[": syntax error in pattern` + "\n" +
				`/etc/bad/main:4: cannot include "/etc/bad/nodir": file does not exist` + "\n" +
				`/etc/bad/main:5: cannot include "/etc/x.d/fifo": not a regular file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words, probs := run(t, fsys, tt.name)
			if words != tt.words {
				t.Errorf("words %q, want %q", words, tt.words)
			}
			if probs != tt.probs {
				t.Errorf("problems:\n%s\nwant:\n%s", probs, tt.probs)
			}
		})
	}

	// A file that includes a new file at each level stops at MaxDepth.
	deep := fstest.MapFS{}
	for i := range MaxDepth + 5 {
		deep[fmt.Sprintf("f%d", i)] = file(fmt.Sprintf("w%d\ninclude f%d\n", i, i+1))
	}
	words, probs := run(t, deep, "f0")
	if n := len(strings.Fields(words)); n != MaxDepth {
		t.Errorf("%d files read, want %d", n, MaxDepth)
	}
	if want := fmt.Sprintf("f%d:2: includes nested more than %d deep", MaxDepth-1, MaxDepth); probs != want {
		t.Errorf("problems:\n%s\nwant:\n%s", probs, want)
	}
}

// TestIncludeRealDir reads includes from the operating system: a cycle
// through symbolic links (relative and absolute) is one, and a FIFO is
// refused without blocking, named alone or in a directory.
func TestIncludeRealDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main", "m\ninclude sub/a\ndir d\n")
	write("sub/a", "a\ninclude "+filepath.Join(dir, "lnk", "main")+"\ninclude rel\n")
	write("d/x", "x\n")
	if err := os.Symlink(dir, filepath.Join(dir, "sub", "lnk")); err != nil {
		t.Fatal(err)
	}
	os.Symlink("../main", filepath.Join(dir, "sub", "rel"))
	os.Symlink(".", filepath.Join(dir, "lnk"))
	for _, f := range []string{"d/fifo", "fifo"} {
		if err := syscall.Mkfifo(filepath.Join(dir, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("f", "include fifo\n")
	main, sub := filepath.Join(dir, "main"), filepath.Join(dir, "sub", "a")
	words, probs := run(t, nil, main)
	want := sub + ":2: include cycle: " + main + " -> " + sub + " -> " + filepath.Join(dir, "lnk", "main") + "\n" +
		sub + ":3: include cycle: " + main + " -> " + sub + " -> " + filepath.Join(dir, "sub", "rel") + "\n" +
		main + `:3: warning: skipping "` + filepath.Join(dir, "d", "fifo") + `": not a regular file`
	if words != "m a x" || probs != want {
		t.Errorf("words %q, problems:\n%s\nwant:\n%s", words, probs, want)
	}
	_, probs = run(t, nil, filepath.Join(dir, "f"))
	if want := filepath.Join(dir, "f") + `:1: cannot include "` + filepath.Join(dir, "fifo") + `": not a regular file`; probs != want {
		t.Errorf("problems:\n%s\nwant:\n%s", probs, want)
	}

	// Relative names are relative to the working directory, and stay
	// relative in messages; so do the matches of a relative pattern.
	t.Chdir(dir)
	write("g", "glob d/*\n")
	words, probs = run(t, nil, "g")
	if want := `g:1: warning: skipping "d/fifo": not a regular file`; words != "x" || probs != want {
		t.Errorf("words %q, problems:\n%s\nwant:\n%s", words, probs, want)
	}
}

// clock is a fake clock for Reader: sleep advances it and then runs a
// step, which may change the files as a writer would.
type clock struct {
	now   time.Time
	slept time.Duration
	step  func()
}

func (c *clock) install(r *Reader) {
	r.now = func() time.Time { return c.now }
	r.sleep = func(d time.Duration) {
		if d <= 0 {
			panic("sleep " + d.String())
		}
		c.now = c.now.Add(d)
		c.slept += d
		if c.step != nil {
			c.step()
		}
	}
}

// churnFS is a MapFS whose file "f" changes between the two looks a read
// takes at its status: it is written to while it is read.
type churnFS struct{ fstest.MapFS }

func (c churnFS) Stat(name string) (fs.FileInfo, error) {
	f := *c.MapFS[name]
	f.ModTime = f.ModTime.Add(-time.Hour)
	c.MapFS[name] = &f
	return c.MapFS.Stat(name)
}

func TestSettle(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	read := func(fsys fs.FS, c *clock) (string, error, string) {
		var probs config.Problems
		r := NewReader(fsys, &probs)
		c.install(r)
		b, err := r.ReadFile("f")
		return string(b), err, probs.Error()
	}

	t.Run("old", func(t *testing.T) {
		fsys := fstest.MapFS{"f": {Data: []byte("all"), ModTime: t0.Add(-Settle)}}
		c := &clock{now: t0}
		if b, err, w := read(fsys, c); b != "all" || err != nil || w != "" || c.slept != 0 {
			t.Errorf("read %q, %v, %q after %v", b, err, w, c.slept)
		}
	})

	// Truncated, then written: the empty file is not taken for the file.
	t.Run("being written", func(t *testing.T) {
		fsys := fstest.MapFS{"f": {ModTime: t0.Add(-time.Millisecond)}}
		c := &clock{now: t0}
		c.step = func() {
			if len(fsys["f"].Data) == 0 {
				fsys["f"] = &fstest.MapFile{Data: []byte("all"), ModTime: c.now}
			}
		}
		if b, err, w := read(fsys, c); b != "all" || err != nil || w != "" || c.slept > 2*Settle {
			t.Errorf("read %q, %v, %q after %v", b, err, w, c.slept)
		}
	})

	// A change time in the future (the clock was set back) does not stall
	// the read: a file unchanged for Settle is settled.
	t.Run("future", func(t *testing.T) {
		fsys := fstest.MapFS{"f": {Data: []byte("all"), ModTime: t0.Add(time.Hour)}}
		c := &clock{now: t0}
		if b, err, w := read(fsys, c); b != "all" || err != nil || w != "" || c.slept != Settle {
			t.Errorf("read %q, %v, %q after %v", b, err, w, c.slept)
		}
	})

	// A file that never settles is read as it is after MaxWait, with a
	// warning.
	t.Run("never settles", func(t *testing.T) {
		fsys := fstest.MapFS{"f": {Data: []byte("0"), ModTime: t0}}
		c := &clock{now: t0}
		n := 0
		c.step = func() {
			n++
			fsys["f"] = &fstest.MapFile{Data: fmt.Appendf(nil, "%d", n), ModTime: c.now}
		}
		b, err, w := read(fsys, c)
		if err != nil || b != fmt.Sprint(n) || c.slept != MaxWait {
			t.Errorf("read %q (last %d), %v after %v", b, n, err, c.slept)
		}
		if want := "f: warning: still changing after 2s; read as it was"; w != want {
			t.Errorf("warning %q, want %q", w, want)
		}
	})

	// A file that changes during every read is refused after MaxWait.
	t.Run("changes while read", func(t *testing.T) {
		fsys := churnFS{fstest.MapFS{"f": {Data: []byte("all"), ModTime: t0.Add(-time.Hour)}}}
		c := &clock{now: t0}
		_, err, w := read(fsys, c)
		if !errors.Is(err, ErrChanging) || w != "" || c.slept != MaxWait {
			t.Errorf("error %v, warning %q after %v", err, w, c.slept)
		}
	})

	// A file just written and closed is read at once under a lease: no
	// writer has it open, none can open it while it is read. Without a
	// lease (here the Reader is told none can be had, as on a file system
	// without leases; the MapFS cases above have none either, their files
	// not being *os.File), it is read once it has settled. The fake clock
	// starts at the file's change time.
	t.Run("just written", func(t *testing.T) {
		name := filepath.Join(t.TempDir(), "f")
		if !canLease(t, name) {
			t.Skip("no leases on this file system")
		}
		if err := os.WriteFile(name, []byte("all"), 0o644); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		ctime := time.Unix(fi.Sys().(*syscall.Stat_t).Ctim.Unix())
		for _, tc := range []struct {
			name  string
			lease func(fs.File) lease
			slept time.Duration
		}{
			{"leased", takeLease, 0},
			{"no lease", func(fs.File) lease { return noLease }, Settle},
		} {
			var probs config.Problems
			r := NewReader(nil, &probs)
			c := &clock{now: ctime}
			c.install(r)
			r.lease = tc.lease
			b, err := r.ReadFile(name)
			if string(b) != "all" || err != nil || probs.Error() != "" || c.slept != tc.slept {
				t.Errorf("%s: read %q, %v, %q after %v, want after %v", tc.name, b, err, probs.Error(), c.slept, tc.slept)
			}
		}
	})

	// A file open for writing is not read until it is closed (where the
	// file system has leases), and is looked at again every minWait. The
	// fake clock is an hour ahead of the file's times, so its status alone
	// says it settled long ago.
	t.Run("open for writing", func(t *testing.T) {
		name := filepath.Join(t.TempDir(), "f")
		if !canLease(t, name) {
			t.Skip("no leases on this file system")
		}
		w, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		w.WriteString("part")
		c := &clock{now: time.Now().Add(time.Hour)}
		c.step = func() {
			if c.slept >= 3*minWait && w != nil {
				w.WriteString(" and the rest")
				w.Close()
				w = nil
			}
		}
		var probs config.Problems
		r := NewReader(nil, &probs)
		c.install(r)
		b, err := r.ReadFile(name)
		if err != nil || string(b) != "part and the rest" || c.slept != 3*minWait {
			t.Errorf("read %q, %v after %v", b, err, c.slept)
		}

		// A writer that never closes it: refused after MaxWait.
		w, _ = os.OpenFile(name, os.O_WRONLY, 0)
		c.slept, c.step = 0, nil
		if _, err := r.ReadFile(name); !errors.Is(err, ErrChanging) || c.slept != MaxWait {
			t.Errorf("error %v after %v", err, c.slept)
		}
	})
}

// canLease reports whether a read lease can be taken on a new file name.
func canLease(t *testing.T, name string) bool {
	if err := os.WriteFile(name, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_RDLCK)
	return err == nil
}

// A file the reader may not take a lease on (not its owner, no
// CAP_LEASE) is read once it has settled, as where leases are not
// supported. Run as root, the test runs itself again as nobody on a file
// of root's, just written; the kernel refuses that lease (EACCES).
func TestSettleNotOwner(t *testing.T) {
	if name := os.Getenv("CONFREAD_NOT_OWNER"); name != "" {
		settleNotOwner(t, name)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run as another user")
	}
	dir, err := os.MkdirTemp("", "confread")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// The test binary's own directory is root's alone: run a copy.
	bin := filepath.Join(dir, "confread.test")
	exe, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(bin, exe, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	name := filepath.Join(dir, "f")
	if err == nil {
		err = os.WriteFile(name, []byte("all"), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestSettleNotOwner$", "-test.v")
	cmd.Env = append(os.Environ(), "CONFREAD_NOT_OWNER="+name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestSettleNotOwner") {
		t.Errorf("as nobody: %v\n%s", err, out)
	}
}

func settleNotOwner(t *testing.T, name string) {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	l := takeLease(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if l != noLease {
		t.Fatalf("lease %d on a file of uid %d as uid %d", l, fi.Sys().(*syscall.Stat_t).Uid, os.Geteuid())
	}
	var probs config.Problems
	r := NewReader(nil, &probs)
	c := &clock{now: time.Unix(fi.Sys().(*syscall.Stat_t).Ctim.Unix())}
	c.install(r)
	b, err := r.ReadFile(name)
	if string(b) != "all" || err != nil || probs.Error() != "" || c.slept != Settle {
		t.Errorf("read %q, %v, %q after %v, want after %v", b, err, probs.Error(), c.slept, Settle)
	}
}
