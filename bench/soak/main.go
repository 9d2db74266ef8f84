// Command soak runs one ginetd with every kind of service at once under
// load from well-behaved and misbehaving clients, reloads and upgrades it
// while it serves, samples its resources, and checks the targets of
// docs/reliability.md. Run it through bench/soak.sh (a private network
// namespace, as root).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type soak struct {
	bin, self, dir string
	ports          *ports
	pki            *pki
	t              *tally
	start          time.Time

	epoch      int
	reloads    atomic.Int64 // applied
	rejected   atomic.Int64 // broken configs refused, as they must be
	reloadErrs []string
	// noSocket: reloads that found no control socket, the new ginetd of
	// an upgrade not having taken it yet (docs/reliability.md, finding 7).
	noSocket   []string
	upgrades   atomic.Int64
	upgradeSeq atomic.Int64 // odd while an upgrade is under way
	upErrs     []string
	upTimes    []time.Duration // from the request to the new ginetd holding the pid file
	errMu      sync.Mutex

	transition atomic.Int32 // reloads or upgrades under way
	lastEnd    atomic.Int64 // UnixNano when the last one ended
	curPhase   atomic.Value // string: what the daemon is doing

	known    map[string]bool // client kinds and targets with known defects
	first    *exec.Cmd
	firstErr chan error
	samples  []sample
	logStats logStats
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "soak: "+format+"\n", a...)
	os.Exit(2)
}

func main() {
	if runService() {
		return
	}
	var (
		bin        = flag.String("ginetd", "", "the ginetd binary (required)")
		dir        = flag.String("dir", "", "scratch directory (default: a new one under $TMPDIR)")
		short      = flag.Bool("short", false, "CI mode: 55 s, reloads every 150 ms, an upgrade every 15 s; count targets not checked")
		duration   = flag.Duration("duration", 0, "run this long, then stop (count targets are then not checked)")
		conns      = flag.Int64("conns", 1_000_000, "target: connections (full mode: run until reached)")
		reloads    = flag.Int64("reloads", 1000, "target: reloads")
		upgrades   = flag.Int64("upgrades", 10, "target: binary upgrades (0: none, one process serves the whole run)")
		reloadEv   = flag.Duration("reload-every", time.Second, "time between reloads")
		upgradeEv  = flag.Duration("upgrade-every", 90*time.Second, "time between upgrades")
		sampleEv   = flag.Duration("sample-every", 30*time.Second, "time between samples")
		maxRuntime = flag.Duration("max-runtime", 4*time.Hour, "hard stop")
		scale      = flag.Int("scale", 1, "multiply the number of well-behaved workers")
		verbose    = flag.Bool("v", false, "print ginetd's descriptors by kind with every sample")
		known      = flag.String("known", "", "comma-separated client kinds and targets (descriptors, goroutines, zombies, rss, foreign, children, no-socket) whose failures are known defects: reported as KNOWN, not failed")
	)
	flag.Parse()
	if *bin == "" {
		fatalf("-ginetd is required")
	}
	if *short {
		*duration, *reloadEv, *upgradeEv, *sampleEv = 55*time.Second, 150*time.Millisecond, 15*time.Second, 5*time.Second
	}
	s := &soak{t: newTally(), firstErr: make(chan error, 1), known: map[string]bool{}}
	for _, k := range strings.Split(*known, ",") {
		if k != "" {
			s.known[k] = true
		}
	}
	s.curPhase.Store("serving")
	var err error
	if s.bin, err = filepath.Abs(*bin); err != nil {
		fatalf("%v", err)
	}
	if s.self, err = os.Executable(); err != nil {
		fatalf("%v", err)
	}
	s.dir = *dir
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "ginetd-soak"); err != nil {
			fatalf("%v", err)
		}
	}
	os.MkdirAll(s.dir, 0o755)
	s.ports = pickPorts()
	s.pki = newPKI(s.dir)
	s.writeConfigs(0)
	s.startGinetd()
	defer s.killAll()

	idle0 := s.sampleNow("start (idle)")
	idle0FDs := fdKinds(idle0.pid)
	fmt.Printf("soak: ginetd %s pid %d, dir %s, commit %s\n", s.bin, idle0.pid, s.dir, os.Getenv("SOAK_COMMIT"))
	printHeader()
	printSample(idle0)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	goFn := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	for kind, f := range s.goodKinds() {
		for i := 0; i < goodWorkers[kind]**scale; i++ {
			goFn(func() { s.runGood(ctx, kind, f) })
		}
	}
	for kind, f := range badKinds {
		for i := 0; i < badWorkers[kind]; i++ {
			goFn(func() { s.runBad(ctx, kind, f) })
		}
	}
	goFn(func() { s.runChurn(ctx) })

	// The daemon's life: reloads and upgrades on their schedules.
	done := make(chan struct{})
	var life sync.WaitGroup
	life.Add(1)
	go func() {
		defer life.Done()
		s.lifeLoop(done, *reloadEv, *upgradeEv, *upgrades)
	}()

	deadline := time.Now().Add(*maxRuntime)
	if *duration > 0 {
		deadline = time.Now().Add(*duration)
	}
	tick := time.NewTicker(*sampleEv)
	var rssRef int64
	refDone := false
	reason := "duration"
	for {
		now := time.Now()
		if now.After(deadline) {
			if *duration == 0 {
				reason = "max-runtime"
			}
			break
		}
		if *duration == 0 && s.t.conns.Load() >= *conns && s.reloads.Load() >= *reloads && s.upgrades.Load() >= *upgrades {
			reason = "targets reached"
			break
		}
		select {
		case <-tick.C:
		case <-time.After(time.Until(deadline)):
		case err := <-s.firstErr:
			// The first ginetd exits after handing over to an upgrade;
			// otherwise it died.
			time.Sleep(3 * time.Second)
			if p := s.pid(); p == s.first.Process.Pid || !alive(p) {
				fmt.Printf("soak: ginetd exited: %v\n", err)
				reason = "ginetd died"
				deadline = time.Now()
			}
			continue
		}
		sm := s.sampleNow("")
		// The RSS reference is the highest RSS sampled until 10,000
		// connections were made (so GC noise is in it).
		if !refDone {
			rssRef = max(rssRef, sm.rssKB)
			if sm.conns >= 10000 {
				refDone = true
				sm.note = "RSS reference"
			}
		}
		s.samples = append(s.samples, sm)
		printSample(sm)
		if *verbose {
			fmt.Printf("         fds: %s\n", fdKinds(sm.pid))
		}
	}
	close(done)
	life.Wait()
	ending.Store(true)
	cancel()
	wg.Wait()
	s.curPhase.Store("drain")

	// Quiet: wait for the children to finish (wait services idle out
	// after 2 s, lifetimes end within 2.5 s), then measure.
	drainUntil := time.Now().Add(15 * time.Second)
	for time.Now().Before(drainUntil) {
		if pid := s.pid(); pid > 0 && len(childrenOf(pid)) == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	end := s.sampleNow("end (idle)")
	endFDs := fdKinds(end.pid)
	s.samples = append(s.samples, end)
	printSample(end)
	leftInside := end.children
	s.stopGinetd()
	// Running children keep running after a stop (docs/ginetd.8,
	// SIGTERM): a service program still running then (a wait service's
	// child, which idles out after 2 s) is no leftover unless it is
	// still there when it should have ended on its own.
	atStop := len(soakProcesses())
	var leftover []proc
	for end := time.Now().Add(selfEndWait); ; time.Sleep(100 * time.Millisecond) {
		if leftover = soakProcesses(); len(leftover) == 0 || time.Now().After(end) {
			break
		}
	}
	s.scanLog()

	if !refDone {
		rssRef = 0
	}
	s.report(reason, idle0, end, rssRef, leftInside, atStop, leftover, *duration == 0 && !*short, *conns, *reloads, *upgrades, idle0FDs, endFDs)
}

func (s *soak) knownKinds() []string {
	var k []string
	for n := range s.known {
		if _, ok := goodWorkers[n]; ok {
			k = append(k, n)
		}
	}
	sort.Strings(k)
	return k
}

func (s *soak) phase() string { return s.curPhase.Load().(string) }

// inTransition: a reload or upgrade is under way or ended less than
// 100 ms ago.
func (s *soak) inTransition() bool {
	return s.transition.Load() > 0 || time.Since(time.Unix(0, s.lastEnd.Load())) < 100*time.Millisecond
}

func (s *soak) writeConfigs(e int) {
	x, i := s.configs(e)
	writeFile(filepath.Join(s.dir, "xinetd.conf"), []byte(x))
	writeFile(filepath.Join(s.dir, "inetd.conf"), []byte(i))
}

func (s *soak) ctl() string     { return filepath.Join(s.dir, "ginetd.sock") }
func (s *soak) logPath() string { return filepath.Join(s.dir, "ginetd.log") }

func (s *soak) startGinetd() {
	args := []string{"-f", "-pidfile", filepath.Join(s.dir, "ginetd.pid"), "-control", s.ctl(),
		"-log", s.logPath(), "-R", "0", "-hosts-allow", "none",
		"-metrics", addr(s.ports.metrics),
		filepath.Join(s.dir, "xinetd.conf"), filepath.Join(s.dir, "inetd.conf")}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	out, err := os.OpenFile(filepath.Join(s.dir, "ginetd.stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fatalf("%v", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		fatalf("start ginetd: %v", err)
	}
	out.Close()
	s.first = cmd
	go func() { s.firstErr <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(s.logPath())
		if strings.Contains(string(b), "msg=ready") && s.pid() == cmd.Process.Pid {
			return
		}
		if time.Now().After(deadline) {
			e, _ := os.ReadFile(filepath.Join(s.dir, "ginetd.stderr"))
			fatalf("ginetd not ready after 20 s:\n%s\n%s", b, e)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pid is the serving ginetd's pid, from its pid file (it moves with
// upgrades).
func (s *soak) pid() int {
	b, _ := os.ReadFile(filepath.Join(s.dir, "ginetd.pid"))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func (s *soak) control(args ...string) (string, error) {
	cmd := exec.Command(s.bin, append(args, "-control", s.ctl())...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// lifeLoop reloads every reloadEv and upgrades every upgradeEv until
// done; with maxUpgrades 0 (-upgrades 0) it never upgrades: one process
// serves the whole run.
func (s *soak) lifeLoop(done chan struct{}, reloadEv, upgradeEv time.Duration, maxUpgrades int64) {
	rt := time.NewTicker(reloadEv)
	defer rt.Stop()
	var upgradeDue <-chan time.Time
	if maxUpgrades > 0 {
		ut := time.NewTicker(upgradeEv)
		defer ut.Stop()
		upgradeDue = ut.C
	}
	for {
		select {
		case <-done:
			return
		case <-rt.C:
			s.reload()
		case <-upgradeDue:
			s.upgrade()
		}
	}
}

func (s *soak) begin(what string) {
	s.transition.Add(1)
	s.curPhase.Store(what)
}

func (s *soak) end() {
	s.lastEnd.Store(time.Now().UnixNano())
	s.transition.Add(-1)
	s.curPhase.Store("serving")
}

func (s *soak) recordErr(list *[]string, format string, a ...any) {
	s.errMu.Lock()
	if len(*list) < 20 {
		*list = append(*list, fmt.Sprintf(format, a...))
	}
	s.errMu.Unlock()
}

// reload applies the next epoch: through the control socket, or by
// SIGHUP every third time; every 25th reload first tries a broken config,
// which must be refused with the old one kept.
func (s *soak) reload() {
	s.begin("reload")
	defer s.end()
	n := s.reloads.Load() + s.rejected.Load()
	if n%25 == 24 {
		x, i := s.configs(s.epoch)
		writeFile(filepath.Join(s.dir, "inetd.conf"), []byte(i+"127.0.0.1:1 strem tcp nowait root internal echo\n"))
		writeFile(filepath.Join(s.dir, "xinetd.conf"), []byte(x))
		out, err := s.control("reload")
		if err == nil {
			s.recordErr(&s.reloadErrs, "broken config accepted: %s", out)
		} else {
			s.rejected.Add(1)
		}
	}
	// Renew the TLS pair not in use, now and then.
	if n%20 == 10 {
		if (s.epoch/2)%2 == 0 {
			s.pki.renew("B")
		} else {
			s.pki.renew("A")
		}
	}
	s.epoch++
	s.writeConfigs(s.epoch)
	if n%3 == 2 {
		pid := s.pid()
		if pid <= 0 { // never kill(0): that is our own process group
			s.recordErr(&s.reloadErrs, "SIGHUP: no pid in the pid file")
			return
		}
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			s.recordErr(&s.reloadErrs, "SIGHUP %d: %v", pid, err)
			return
		}
		// SIGHUP says nothing back: wait for the epoch's churn to show.
		s.reloads.Add(1)
		time.Sleep(20 * time.Millisecond)
		return
	}
	out, err := s.control("reload")
	// A reload is refused while an upgrade is in progress (ginetd(8)):
	// the upgrade may still be finishing when the pid file names the new
	// ginetd. Ask again once it is over.
	for i := 0; i < 100 && err != nil && strings.Contains(out, "an upgrade is in progress"); i++ {
		time.Sleep(20 * time.Millisecond)
		out, err = s.control("reload")
	}
	if err != nil {
		list := &s.reloadErrs
		if strings.Contains(out, "control socket: dial unix") && strings.Contains(out, "no such file or directory") {
			list = &s.noSocket
		}
		s.recordErr(list, "reload %d: %v: %s", s.epoch, err, out)
		return
	}
	s.reloads.Add(1)
}

// upgrade replaces the binary in place: `ginetd upgrade` or SIGUSR2 in
// turn. The old process must hand over and exit; the pid file names the
// new one.
func (s *soak) upgrade() {
	s.begin("upgrade")
	defer s.end()
	s.upgradeSeq.Add(1)
	defer s.upgradeSeq.Add(1)
	old := s.pid()
	if old <= 0 {
		s.recordErr(&s.upErrs, "upgrade: no pid in the pid file")
		return
	}
	if s.upgrades.Load()%2 == 0 {
		if out, err := s.control("upgrade"); err != nil {
			s.recordErr(&s.upErrs, "ginetd upgrade: %v: %s", err, out)
			return
		}
	} else if err := syscall.Kill(old, syscall.SIGUSR2); err != nil {
		s.recordErr(&s.upErrs, "SIGUSR2 %d: %v", old, err)
		return
	}
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	for {
		// Handed over: the pid file names the new ginetd. The old one may
		// still drain the connections it serves itself (ginetd(8),
		// ginetd upgrade; a stalled tcpmux client for up to 30 s).
		if p := s.pid(); p != old && alive(p) {
			s.upgrades.Add(1)
			s.errMu.Lock()
			s.upTimes = append(s.upTimes, time.Since(start))
			s.errMu.Unlock()
			return
		}
		if time.Now().After(deadline) {
			s.recordErr(&s.upErrs, "upgrade from %d: no handover in 30 s (pid file: %d)", old, s.pid())
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// selfEndWait is how long service programs running at the stop have
// to end on their own: wait services' children idle out after 2 s.
const selfEndWait = 10 * time.Second

func (s *soak) stopGinetd() {
	pid := s.pid()
	if out, err := s.control("stop"); err != nil && pid > 0 {
		fmt.Printf("soak: ginetd stop: %v: %s\n", err, out)
		syscall.Kill(pid, syscall.SIGTERM)
	}
	for i := 0; i < 100 && alive(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		fmt.Printf("soak: ginetd %d still alive 5 s after stop; killing\n", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// killAll makes sure nothing the soak started outlives it.
func (s *soak) killAll() {
	if pid := s.pid(); alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if s.first != nil && s.first.Process != nil {
		s.first.Process.Kill()
	}
	for _, p := range soakProcesses() {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
}

// sample is one row of the figures table.
type sample struct {
	t                                  time.Duration
	note                               string
	conns, good, bad, reloads, upgrade int64
	pid                                int
	fds, threads, goroutines, zombies  int
	children                           int
	rssKB                              int64
	foreign                            int64
	phase                              string
}

func (s *soak) sampleNow(note string) sample {
	sm := sample{t: time.Since(s.start), note: note, conns: s.t.conns.Load(), good: s.t.good.Load(),
		bad: s.t.bad.Load(), reloads: s.reloads.Load(), upgrade: s.upgrades.Load(), foreign: s.t.foreign.Load()}
	if s.start.IsZero() {
		s.start = time.Now()
		sm.t = 0
	}
	sm.pid = s.pid()
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", sm.pid)); err == nil {
		sm.fds = len(ents)
	} else {
		sm.fds = -1
	}
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", sm.pid))
	for _, l := range strings.Split(string(st), "\n") {
		k, v, _ := strings.Cut(l, ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			sm.rssKB, _ = strconv.ParseInt(f[0], 10, 64)
		case "Threads":
			sm.threads, _ = strconv.Atoi(f[0])
		}
	}
	for _, c := range childrenOf(sm.pid) {
		if c.state == "Z" {
			sm.zombies++
		} else {
			sm.children++
		}
	}
	sm.goroutines = s.goroutines()
	return sm
}

// goroutines reads go_goroutines from ginetd's -metrics.
func (s *soak) goroutines() int {
	cl := http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := cl.Get("http://" + addr(s.ports.metrics) + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	return -1
}

type proc struct {
	pid   int
	state string
	argv0 string
}

func procs() []proc {
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		argv0, _, _ := strings.Cut(string(cmd), "\x00")
		out = append(out, proc{pid: pid, state: f[0], argv0: argv0 + "\x00" + strconv.Itoa(ppid)})
	}
	return out
}

func childrenOf(pid int) []proc {
	var out []proc
	suffix := "\x00" + strconv.Itoa(pid)
	for _, p := range procs() {
		if strings.HasSuffix(p.argv0, suffix) {
			out = append(out, p)
		}
	}
	return out
}

// soakProcesses are the service programs still running anywhere (their
// argv[0] starts with "soak-").
func soakProcesses() []proc {
	var out []proc
	for _, p := range procs() {
		if strings.HasPrefix(filepath.Base(p.argv0), "soak-") && p.pid != os.Getpid() && p.state != "Z" {
			out = append(out, p)
		}
	}
	return out
}

func printHeader() {
	fmt.Printf("%8s %10s %10s %6s %7s %4s %8s %5s %7s %6s %8s %7s %8s %7s  %s\n",
		"t", "conns", "good-ok", "good-fail", "reloads", "upg", "pid", "fds", "threads", "gorout", "RSS-KiB", "zombies", "children", "foreign", "note")
}

func printSample(sm sample) {
	fmt.Printf("%8s %10d %10d %6d %7d %4d %8d %5d %7d %6d %8d %7d %8d %7d  %s\n",
		sm.t.Round(time.Second), sm.conns, sm.good, sm.bad, sm.reloads, sm.upgrade, sm.pid, sm.fds, sm.threads,
		sm.goroutines, sm.rssKB, sm.zombies, sm.children, sm.foreign, sm.note)
}

// logStats: what ginetd's log says (scanned at the end; its error and
// warning events by name).
type logStats struct {
	lines int
	byMsg map[string]int
	first map[string]string
}

func (s *soak) scanLog() {
	s.logStats = logStats{byMsg: map[string]int{}, first: map[string]string{}}
	f, err := os.Open(s.logPath())
	if err != nil {
		return
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		l, err := r.ReadString('\n')
		if len(l) > 0 {
			s.logStats.lines++
			if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") {
				lvl := "WARN"
				if strings.Contains(l, "level=ERROR") {
					lvl = "ERROR"
				}
				msg := ""
				if i := strings.Index(l, "msg="); i >= 0 {
					msg = strings.Fields(l[i+4:])[0]
				}
				if msg == "reject" || msg == "exit" {
					if i := strings.Index(l, "reason="); i >= 0 {
						msg += " " + strings.Fields(l[i:])[0]
					} else if i := strings.Index(l, "status="); i >= 0 {
						msg += " " + strings.SplitN(l[i:], " ", 3)[0] + strings.SplitN(l[i:], " ", 3)[1]
					}
				}
				k := lvl + " " + msg
				s.logStats.byMsg[k]++
				if _, ok := s.logStats.first[k]; !ok {
					s.logStats.first[k] = strings.TrimSpace(l)
				}
			}
		}
		if err == io.EOF || err != nil {
			break
		}
	}
}

// fdKinds summarises a process's descriptors by what they are.
func fdKinds(pid int) string {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	n := map[string]int{}
	for _, e := range ents {
		t, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if i := strings.IndexAny(t, ":["); i > 0 && !strings.HasPrefix(t, "/") {
			t = t[:i]
		}
		n[t]++
	}
	var parts []string
	for k, v := range n {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func (s *soak) report(reason string, idle0, end sample, rssRef int64, leftInside, atStop int, leftover []proc, full bool, wantConns, wantReloads, wantUpgrades int64, idle0FDs, endFDs string) {
	fmt.Printf("\nsoak: stopped (%s) after %v\n", reason, time.Since(s.start).Round(time.Second))
	fmt.Printf("\nconnections by client kind (outcome=count):\n")
	var kinds []string
	for k := range s.t.by {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		var parts []string
		for o, n := range s.t.by[k] {
			parts = append(parts, fmt.Sprintf("%s=%d", o, n))
		}
		sort.Strings(parts)
		fmt.Printf("  %-22s %s\n", k, strings.Join(parts, " "))
	}
	if len(s.t.examples) > 0 {
		fmt.Printf("\nfirst failure of each kind/cause:\n")
		var ks []string
		for k := range s.t.examples {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			fmt.Printf("  %-28s %s\n", k, s.t.examples[k])
		}
	}
	fmt.Printf("\nreloads applied %d (broken configs refused %d), upgrades %d\n", s.reloads.Load(), s.rejected.Load(), s.upgrades.Load())
	for _, e := range s.reloadErrs {
		fmt.Printf("  reload problem: %s\n", e)
	}
	for _, e := range s.noSocket {
		fmt.Printf("  reload found no control socket: %s\n", e)
	}
	if len(s.upTimes) > 0 {
		sort.Slice(s.upTimes, func(i, j int) bool { return s.upTimes[i] < s.upTimes[j] })
		fmt.Printf("  upgrade took (request to the new pid file): min %v, median %v, max %v\n",
			s.upTimes[0].Round(time.Millisecond), s.upTimes[len(s.upTimes)/2].Round(time.Millisecond), s.upTimes[len(s.upTimes)-1].Round(time.Millisecond))
	}
	for _, e := range s.upErrs {
		fmt.Printf("  upgrade problem: %s\n", e)
	}
	fmt.Printf("\nginetd log: %d lines; warnings and errors by event:\n", s.logStats.lines)
	var ms []string
	for k := range s.logStats.byMsg {
		ms = append(ms, k)
	}
	sort.Strings(ms)
	for _, k := range ms {
		fmt.Printf("  %7d  %-40s e.g. %.200s\n", s.logStats.byMsg[k], k, s.logStats.first[k])
	}

	var failed []string
	checkAs := func(name string, ok bool, format string, a ...any) {
		mark := "PASS"
		switch {
		case !ok && s.known[name]:
			mark = "KNOWN"
		case !ok:
			mark = "FAIL"
			failed = append(failed, fmt.Sprintf(format, a...))
		}
		fmt.Printf("  %-5s "+format+"\n", append([]any{mark}, a...)...)
	}
	check := func(ok bool, format string, a ...any) { checkAs("", ok, format, a...) }
	fmt.Printf("\ntargets:\n")
	if full {
		check(s.t.conns.Load() >= wantConns, "connections %d >= %d", s.t.conns.Load(), wantConns)
		check(s.reloads.Load() >= wantReloads, "reloads %d >= %d", s.reloads.Load(), wantReloads)
		check(s.upgrades.Load() >= wantUpgrades, "upgrades %d >= %d", s.upgrades.Load(), wantUpgrades)
	} else {
		fmt.Printf("  ----  count targets not checked (time-limited run): %d connections, %d reloads, %d upgrades\n",
			s.t.conns.Load(), s.reloads.Load(), s.upgrades.Load())
		check(s.reloads.Load() > 0 && len(s.reloadErrs) == 0, "reloads applied without error: %d (%d problems)", s.reloads.Load(), len(s.reloadErrs))
		checkAs("no-socket", len(s.noSocket) == 0, "reloads that found no control socket after an upgrade: %d", len(s.noSocket))
		if wantUpgrades > 0 {
			check(s.upgrades.Load() > 0 && len(s.upErrs) == 0, "upgrades handed over: %d (%d problems)", s.upgrades.Load(), len(s.upErrs))
		}
	}
	check(s.t.bad.Load() == 0, "failed well-behaved connections: %d", s.t.bad.Load())
	checkAs("upgrade-cut", s.t.upgradeCut.Load() == 0, "well-behaved connections failed across an upgrade: %d", s.t.upgradeCut.Load())
	if n := s.t.knownBad.Load(); n > 0 {
		checkAs("kinds", false, "failed well-behaved connections of kinds with known defects (%s): %d", strings.Join(s.knownKinds(), ","), n)
	}
	check(s.t.refusedInTransition.Load() == 0, "refused during reloads/upgrades: %d", s.t.refusedInTransition.Load())
	checkAs("descriptors", end.fds >= 0 && end.fds <= idle0.fds+2, "descriptors flat: idle %d at start, %d at the end", idle0.fds, end.fds)
	if end.fds > idle0.fds+2 {
		fmt.Printf("        start: %s\n        end:   %s\n", idle0FDs, endFDs)
	}
	checkAs("goroutines", end.goroutines >= 0 && end.goroutines <= idle0.goroutines+5, "goroutines flat: idle %d at start, %d at the end", idle0.goroutines, end.goroutines)
	maxZ := 0
	var maxRSS int64
	seenRef := false
	for _, sm := range s.samples {
		maxZ = max(maxZ, sm.zombies)
		if sm.note == "RSS reference" {
			seenRef = true
		}
		if seenRef {
			maxRSS = max(maxRSS, sm.rssKB)
		}
	}
	checkAs("zombies", end.zombies == 0, "zombies: %d at the end (max %d in a sample)", end.zombies, maxZ)
	if rssRef > 0 {
		checkAs("rss", float64(maxRSS) <= 1.2*float64(rssRef), "RSS: max %d KiB after the reference, %d KiB (highest until 10,000 connections) (%.2fx)", maxRSS, rssRef, float64(maxRSS)/float64(rssRef))
	} else {
		fmt.Printf("  ----  RSS: fewer than 10,000 connections by a sample; no reference\n")
	}
	checkAs("foreign", s.t.foreign.Load() == 0, "foreign descriptors seen by probes: %d", s.t.foreign.Load())
	var names []string
	for _, p := range leftover {
		names = append(names, fmt.Sprintf("%d:%s", p.pid, strings.ReplaceAll(p.argv0, "\x00", " ppid=")))
	}
	checkAs("children", leftInside == 0 && len(leftover) == 0, "children left over: %d of ginetd after the drain, %d soak programs %v %v after the stop (%d running at the stop, which keep running and end on their own)", leftInside, len(leftover), names, selfEndWait, atStop)
	if len(failed) > 0 {
		fmt.Printf("\nsoak: FAILED: %s\n", strings.Join(failed, "; "))
		s.killAll()
		os.Exit(1)
	}
	fmt.Printf("\nsoak: all targets met\n")
}
