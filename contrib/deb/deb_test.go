//go:build linux

// The Debian package's test: it builds the package with build.sh, checks it
// with lintian, and then installs, drives with update-inetd, upgrades,
// removes and purges it on this machine, as root. It changes the machine
// (packages, /etc/inetd.conf, /etc/xinetd.d), so it runs only when asked:
//
//	GINETD_DEB_TEST=1 go -C contrib/deb test -v -count=1 .
//
// .ci/run does that. Everything it changes is put back at the end: the
// package is purged, a conflicting super-server it had to remove (xinetd,
// openbsd-inetd, ...) is reinstalled from the same .deb, and files it
// moved aside are restored. The services it adds listen on 127.0.0.1 at
// ports found free when it runs.
package deb

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	pidFile   = "/run/ginetd.pid"
	inetdConf = "/etc/inetd.conf"
	// super-servers the package conflicts with; the test removes those
	// installed and reinstalls them at the end
	policyRcD = "/usr/sbin/policy-rc.d"
)

var conflicting = []string{"openbsd-inetd", "inetutils-inetd", "xinetd", "rlinetd"}

// allowInetd is the policy-rc.d the test runs dpkg and update-inetd under
// when the machine has one (container images do, denying every action):
// it allows the actions on the "inetd" init script and denies the rest.
const allowInetd = `#!/bin/sh
while [ $# -gt 0 ]; do case "$1" in --*) shift ;; *) break ;; esac; done
[ "$1" = inetd ] && exit 0
exit 101
`

type machine struct {
	t       *testing.T
	dir     string
	systemd bool   // systemd is PID 1
	allow   string // a policy-rc.d to bind over the machine's, or ""

	removeAtEnd []string // files the test created
}

func TestDebianPackage(t *testing.T) {
	if os.Getenv("GINETD_DEB_TEST") != "1" {
		t.Skip("installs and removes packages on this machine: set GINETD_DEB_TEST=1 (as root, on Debian) to run")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, tool := range []string{"dpkg", "dpkg-deb", "dpkg-query", "update-inetd", "lintian", "nc", "unshare", "mount", "apt-get", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("GINETD_DEB_TEST=1 but %s is missing (.ci/packages lists what this test needs)", tool)
		}
	}
	m := &machine{t: t, dir: t.TempDir()}
	_, err := os.Stat("/run/systemd/system")
	m.systemd = err == nil
	switch {
	case m.systemd:
		t.Log("init system: systemd is PID 1; exercising ginetd.service (inetd.service) through systemctl")
	default:
		t.Log("init system: systemd is not PID 1; exercising the init script /etc/init.d/inetd through invoke-rc.d")
	}
	if _, err := os.Stat(policyRcD); err == nil {
		m.allow = filepath.Join(m.dir, "policy-rc.d")
		if err := os.WriteFile(m.allow, []byte(allowInetd), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s exists (it denies service actions in container images): dpkg and update-inetd run in a private mount namespace where it allows the inetd script only", policyRcD)
	} else if !m.systemd {
		if out, err := exec.Command("runlevel").CombinedOutput(); err != nil {
			t.Skipf("no init system to run /etc/init.d/inetd (runlevel: %s) and no policy-rc.d to allow it", bytes.TrimSpace(out))
		}
	}

	// Build: revision 1, and revision 2 to upgrade to. The two builds of
	// one commit must give the same binaries (reproducible).
	debs := m.build("1", "dist1")
	debs2 := m.build("2", "dist2")
	sums1, sums2 := m.binarySums(debs), m.binarySums(debs2)
	if sums1 != sums2 {
		t.Errorf("two builds of one commit made different binaries:\n%s\n%s", sums1, sums2)
	}
	t.Logf("SHA256SUMS:\n%s", m.read(filepath.Join(filepath.Dir(debs), "SHA256SUMS")))
	m.inspect(debs)
	m.lintian(debs)

	m.prepare()

	// 0. An /etc/inetd.conf that no package owns (openbsd-inetd leaves
	// one): installing keeps it as it was, without a dpkg question (dpkg
	// runs with no input here: a question would fail it).
	left := "# left by openbsd-inetd\n#<off># discard\tstream\ttcp\tnowait\troot\tinternal\n"
	if err := os.WriteFile(inetdConf, []byte(left), 0o644); err != nil {
		t.Fatal(err)
	}
	m.dpkg("-i", debs)
	if got := m.read(inetdConf); got != left {
		t.Fatalf("installing changed an existing /etc/inetd.conf:\n%s", got)
	}
	m.dpkg("-P", "ginetd")

	// 1. Install: no service is active, so ginetd does not start.
	m.dpkg("-i", debs)
	if m.running() {
		t.Fatal("ginetd runs after an install whose inetd.conf has no active service")
	}

	// A service in an xinetd.d file: read because /etc/xinetd.conf exists.
	xport := freePort(t)
	m.xinetdService(xport)

	// 2. update-inetd --add: the first service starts ginetd.
	p := freePort(t)
	pname := "127.0.0.1:" + strconv.Itoa(p)
	m.run("update-inetd", "--verbose", "--add", pname+"\tstream\ttcp\tnowait\troot\tinternal\tdaytime")
	if got := m.nc(p, ""); !strings.Contains(got, time.Now().UTC().Format("2006")) && !strings.Contains(got, time.Now().Format("2006")) {
		t.Fatalf("daytime on %s after update-inetd --add: got %q", pname, got)
	}
	if got := m.nc(xport, ""); got != "xinetd-file-read\n" {
		t.Fatalf("the /etc/xinetd.d service on port %d: got %q", xport, got)
	}
	pid1 := m.daemonPID()

	// 3. A second service, a program (/bin/cat as nobody; a spawn rate the
	// client loop below stays under): update-inetd restarts inetd, which
	// is a binary upgrade in place; both services answer when it returns.
	q := freePort(t)
	qname := "127.0.0.1:" + strconv.Itoa(q)
	m.run("update-inetd", "--verbose", "--add", qname+"\tstream\ttcp\tnowait.1000000\tnobody\t/bin/cat\tcat")
	if got := m.nc(q, "hello\n"); got != "hello\n" {
		t.Fatalf("cat on %s after the second update-inetd --add: got %q", qname, got)
	}
	if got := m.nc(p, ""); got == "" {
		t.Fatalf("daytime on %s stopped answering after the second --add", pname)
	}
	pid2 := m.daemonPID()
	t.Logf("second --add: ginetd pid %d -> %d (restart = binary upgrade)", pid1, pid2)

	// 4. --disable: the line becomes "#<off># ...", ginetd reloads, and
	// the service stops answering; it stays off through another reload.
	m.run("update-inetd", "--verbose", "--disable", pname)
	if conf := m.read(inetdConf); !strings.Contains(conf, "#<off># "+pname+"\t") {
		t.Fatalf("update-inetd --disable did not write the #<off># line:\n%s", conf)
	}
	m.refused(p)
	m.run("invoke-rc.d", "inetd", "reload")
	m.refused(p)
	if got := m.nc(q, "still\n"); got != "still\n" {
		t.Fatalf("cat on %s after --disable of the other service: got %q", qname, got)
	}

	// 5. Package upgrade: the new package's postinst hands the sockets to
	// the new binary; a client loop running through it sees no refusal,
	// and the children of the old ginetd finish their clients.
	before := m.daemonPID()
	ok, failed, errs := m.clientsDuring(q, func() { m.dpkg("-i", debs2) })
	after := m.daemonPID()
	t.Logf("package upgrade: ginetd pid %d -> %d; %d cat connections during it, %d failed", before, after, ok+failed, failed)
	if failed > 0 {
		t.Errorf("%d of %d connections failed during the package upgrade: %v", failed, ok+failed, errs)
	}
	if ok == 0 {
		t.Errorf("no connection overlapped the package upgrade")
	}
	if after == before {
		t.Errorf("the package upgrade did not start a new ginetd (pid %d)", before)
	}
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", after)); err != nil || exe != "/usr/sbin/ginetd" {
		t.Errorf("after the upgrade ginetd runs %q (%v), not the new /usr/sbin/ginetd", exe, err)
	}
	if got := m.nc(q, "upgraded\n"); got != "upgraded\n" {
		t.Fatalf("cat after the package upgrade: got %q", got)
	}
	m.refused(p) // still disabled

	// 6. Remove: ginetd stops, the conffiles stay.
	m.dpkg("-r", "ginetd")
	if m.running() {
		t.Fatal("ginetd still runs after dpkg -r")
	}
	if err := syscall.Kill(after, 0); err == nil {
		t.Fatalf("ginetd (pid %d) still exists after dpkg -r", after)
	}
	m.refused(q)
	if conf := m.read(inetdConf); !strings.Contains(conf, qname+"\tstream") {
		t.Fatalf("dpkg -r did not keep /etc/inetd.conf as it was:\n%s", conf)
	}

	// 7. Purge: the conffiles go.
	m.dpkg("-P", "ginetd")
	for _, f := range []string{inetdConf, "/etc/init.d/inetd"} {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s is still there after dpkg -P", f)
		}
	}
}

// build runs build.sh for this machine's architecture with Debian revision
// rev into a new directory and returns the path of the .deb.
func (m *machine) build(rev, name string) string {
	m.t.Helper()
	out := filepath.Join(m.dir, name)
	cmd := exec.Command("sh", "build.sh", out)
	cmd.Env = append(os.Environ(), "ARCHES="+runtime.GOARCH, "DEB_REVISION="+rev)
	start := time.Now()
	m.exec(cmd, 10*time.Minute)
	m.t.Logf("build.sh %s (DEB_REVISION=%s): %v", out, rev, time.Since(start).Round(time.Second))
	debs, _ := filepath.Glob(filepath.Join(out, "ginetd_*-"+rev+"_"+runtime.GOARCH+".deb"))
	if len(debs) != 1 {
		m.t.Fatalf("build.sh made %v", debs)
	}
	return debs[0]
}

// binarySums returns the SHA256SUMS lines of the binaries next to deb.
func (m *machine) binarySums(deb string) string {
	m.t.Helper()
	var b strings.Builder
	for _, l := range strings.Split(m.read(filepath.Join(filepath.Dir(deb), "SHA256SUMS")), "\n") {
		if !strings.HasSuffix(l, ".deb") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// inspect checks the package's fields and files.
func (m *machine) inspect(deb string) {
	m.t.Helper()
	fields := m.exec(exec.Command("dpkg-deb", "-f", deb), time.Minute)
	for _, want := range []string{
		"Package: ginetd",
		"Provides: inet-superserver",
		"Depends: update-inetd",
		"Conflicts: inet-superserver, openbsd-inetd, inetutils-inetd, xinetd, rlinetd",
	} {
		if !strings.Contains(fields, want+"\n") {
			m.t.Errorf("control has no %q:\n%s", want, fields)
		}
	}
	list := m.exec(exec.Command("dpkg-deb", "-c", deb), time.Minute)
	for _, want := range []string{
		"./usr/sbin/ginetd", "./usr/sbin/gsyslogd",
		"./usr/share/man/man8/ginetd.8.gz", "./usr/share/man/man5/ginetd.conf.5.gz", "./usr/share/man/man8/gsyslogd.8.gz",
		"./lib/systemd/system/ginetd.service", "./lib/systemd/system/inetd.service -> ginetd.service",
		"./etc/init.d/inetd", "./etc/inetd.conf",
		"./usr/share/doc/ginetd/copyright", "./usr/share/doc/ginetd/changelog.Debian.gz",
	} {
		if !strings.Contains(list, want+"\n") && !strings.Contains(list, want+" ") {
			m.t.Errorf("package has no %s:\n%s", want, list)
		}
	}
	conffiles := m.exec(exec.Command("dpkg-deb", "--info", deb, "conffiles"), time.Minute)
	if c := strings.Fields(conffiles); len(c) != 2 || !slices.Contains(c, "/etc/inetd.conf") || !slices.Contains(c, "/etc/init.d/inetd") {
		m.t.Errorf("conffiles: %q", conffiles)
	}
	version := m.exec(exec.Command("dpkg-deb", "-f", deb, "Version"), time.Minute)
	dir := m.t.TempDir()
	m.exec(exec.Command("dpkg-deb", "-x", deb, dir), time.Minute)
	got := m.exec(exec.Command(filepath.Join(dir, "usr/sbin/ginetd"), "version"), time.Minute)
	if upstream, _, _ := strings.Cut(strings.TrimSpace(version), "-"); got != "ginetd "+upstream+"\n" {
		m.t.Errorf("ginetd version: %q, package version %q", got, version)
	}
	conf := m.read(filepath.Join(dir, "etc/inetd.conf"))
	sc := bufio.NewScanner(strings.NewReader(conf))
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			m.t.Errorf("the default inetd.conf has an active line: %q", l)
		}
	}
}

func (m *machine) lintian(deb string) {
	m.t.Helper()
	// Not --fail-on: with --show-overrides, lintian 2.116 exits 2 for
	// overridden tags too. Each line of a tag starts with its level.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "lintian", "--pedantic", "--info", "--show-overrides", deb).CombinedOutput()
	m.t.Logf("lintian --pedantic --info --show-overrides (%v):\n%s", err, out)
	tags := 0
	for _, l := range strings.Split(string(out), "\n") {
		level, _, _ := strings.Cut(l, ": ")
		switch level {
		case "O":
			tags++
		case "E", "W", "I", "P", "X":
			m.t.Errorf("lintian: %s (fix it, or override it and say why in contrib/deb/lintian-overrides and README.md)", l)
		}
	}
	if tags == 0 {
		m.t.Errorf("lintian reported no overridden tag: did it run?")
	}
}

// prepare makes this machine one where the package can be installed and
// registers the undoing of it.
func (m *machine) prepare() {
	t := m.t
	t.Cleanup(m.restore)
	if m.known("ginetd") {
		t.Log("ginetd is installed or has conffiles (an earlier run?): purging it first")
		m.dpkg("-P", "ginetd")
	}
	if data, err := os.ReadFile(inetdConf); err == nil {
		t.Logf("%s exists: kept aside, restored at the end", inetdConf)
		if err := os.WriteFile(filepath.Join(m.dir, "inetd.conf.saved"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(inetdConf); err != nil {
			t.Fatal(err)
		}
	}
	debs := filepath.Join(m.dir, "conflicting")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range conflicting {
		if !m.installed(p) {
			continue
		}
		v := strings.TrimSpace(m.exec(exec.Command("dpkg-query", "-W", "-f", "${Version}", p), time.Minute))
		// the same .deb, to put it back at the end
		cmd := exec.Command("apt-get", "download", p+"="+v)
		cmd.Dir = debs
		m.exec(cmd, 5*time.Minute)
		t.Logf("%s %s is installed and conflicts with ginetd: removed (conffiles kept), reinstalled at the end", p, v)
		m.exec(exec.Command("dpkg", "-r", p), 5*time.Minute)
	}
}

// restore undoes prepare and whatever the test left.
func (m *machine) restore() {
	t := m.t
	if m.known("ginetd") {
		m.dpkg("-P", "ginetd")
	}
	if pid, err := readPID(); err == nil && isGinetd(pid) {
		t.Errorf("a packaged ginetd (pid %d) still runs: killing it", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, f := range m.removeAtEnd {
		os.Remove(f)
	}
	if data, err := os.ReadFile(filepath.Join(m.dir, "inetd.conf.saved")); err == nil {
		os.WriteFile(inetdConf, data, 0o644)
	}
	debs, _ := filepath.Glob(filepath.Join(m.dir, "conflicting", "*.deb"))
	if len(debs) > 0 {
		// as they were installed: with the machine's own policy-rc.d
		m.exec(exec.Command("dpkg", append([]string{"-i"}, debs...)...), 5*time.Minute)
	}
}

// xinetdService puts a service that answers "xinetd-file-read" in the
// xinetd configuration, which ginetd reads when /etc/xinetd.conf exists.
func (m *machine) xinetdService(port int) {
	m.t.Helper()
	svc := fmt.Sprintf(`service ginetd-deb-test
{
	type		= UNLISTED
	socket_type	= stream
	protocol	= tcp
	port		= %d
	bind		= 127.0.0.1
	wait		= no
	user		= root
	server		= /bin/echo
	server_args	= xinetd-file-read
	disable		= no
}
`, port)
	path := "/etc/xinetd.d/ginetd-deb-test"
	conf, err := os.ReadFile("/etc/xinetd.conf")
	switch {
	case err == nil && bytes.Contains(conf, []byte("includedir /etc/xinetd.d")):
		m.t.Log("/etc/xinetd.conf exists (includedir /etc/xinetd.d): adding /etc/xinetd.d/ginetd-deb-test")
	case err != nil && os.IsNotExist(err):
		m.t.Log("no /etc/xinetd.conf: writing one with the test service (removed at the end)")
		path = "/etc/xinetd.conf"
	default:
		m.t.Fatalf("/etc/xinetd.conf exists without includedir /etc/xinetd.d (%v): leaving it alone", err)
	}
	if err := os.WriteFile(path, []byte(svc), 0o644); err != nil {
		m.t.Fatal(err)
	}
	m.removeAtEnd = append(m.removeAtEnd, path)
}

// run runs a command the way a maintainer script or an administrator
// would, in a mount namespace of its own where policy-rc.d allows the
// inetd script, if the machine has a policy-rc.d.
func (m *machine) run(name string, args ...string) string {
	m.t.Helper()
	var cmd *exec.Cmd
	if m.allow != "" {
		cmd = exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$0" ` + policyRcD + ` && exec "$@"`, m.allow, name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out := m.exec(cmd, 5*time.Minute)
	m.t.Logf("%s %s\n%s", name, strings.Join(args, " "), strings.TrimRight(out, "\n"))
	return out
}

func (m *machine) dpkg(args ...string) string {
	m.t.Helper()
	return m.run("dpkg", args...)
}

func (m *machine) exec(cmd *exec.Cmd, limit time.Duration) string {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Env, c.Dir, c.Stdin = cmd.Env, cmd.Dir, nil
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		m.t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), err, out.String(), errb.String())
	}
	if errb.Len() > 0 {
		return out.String() + errb.String()
	}
	return out.String()
}

func (m *machine) read(path string) string {
	m.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		m.t.Fatal(err)
	}
	return string(b)
}

func (m *machine) installed(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status}", pkg).Output()
	return err == nil && string(out) == "installed"
}

// known tells whether dpkg has any state of pkg but not-installed.
func (m *machine) known(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status}", pkg).Output()
	return err == nil && len(out) > 0 && string(out) != "not-installed"
}

// running tells whether the packaged ginetd runs. Not by its control
// socket: another ginetd run by hand as root (a test's) may hold it.
func (m *machine) running() bool {
	if m.systemd {
		return exec.Command("systemctl", "--quiet", "is-active", "ginetd.service").Run() == nil
	}
	pid, err := readPID()
	return err == nil && isGinetd(pid)
}

// daemonPID returns the packaged ginetd's pid.
func (m *machine) daemonPID() int {
	m.t.Helper()
	if m.systemd {
		out := m.exec(exec.Command("systemctl", "show", "--property", "MainPID", "--value", "ginetd.service"), time.Minute)
		pid, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil || pid == 0 {
			m.t.Fatalf("ginetd.service has no main pid: %q", out)
		}
		return pid
	}
	pid, err := readPID()
	if err != nil || !isGinetd(pid) {
		m.t.Fatalf("no ginetd behind %s: %v", pidFile, err)
	}
	return pid
}

// nc connects to 127.0.0.1:port with nc(1), sends in (then shuts its side
// down) and returns what it reads until the server closes.
func (m *machine) nc(port int, in string) string {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nc", "-N", "-w", "10", "127.0.0.1", strconv.Itoa(port))
	cmd.Stdin = strings.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		m.t.Fatalf("nc 127.0.0.1 %d: %v (read %q)", port, err, out)
	}
	return string(out)
}

// refused checks that nothing listens on 127.0.0.1:port, waiting up to
// 10 s for it: a reload by SIGHUP is done some time after kill returns.
func (m *machine) refused(port int) {
	m.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 10*time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			m.t.Fatalf("127.0.0.1:%d still accepts connections", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clientsDuring runs clients of an echoing service against 127.0.0.1:port one after another
// from before f starts until it has returned, and counts them.
func (m *machine) clientsDuring(port int, f func()) (ok, failed int, errs []error) {
	var done atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	started := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			if i == 1 {
				close(started)
			}
			last := done.Load()
			err := echoOnce(port)
			mu.Lock()
			if err != nil {
				failed++
				if len(errs) < 5 {
					errs = append(errs, err)
				}
			} else {
				ok++
			}
			mu.Unlock()
			if last {
				return
			}
		}
	}()
	<-started
	f()
	done.Store(true)
	wg.Wait()
	return ok, failed, errs
}

func echoOnce(port int) error {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("x\n")); err != nil {
		return err
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "x\n" {
		return fmt.Errorf("answered %q", buf)
	}
	return nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func readPID() (int, error) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func isGinetd(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && strings.HasPrefix(exe, "/usr/sbin/ginetd")
}
