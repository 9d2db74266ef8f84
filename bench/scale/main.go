// Command scale measures a super-server configured with many services
// (ginetd issue 3): time from exec to ready, idle RSS and threads, and the
// time each SIGHUP reload takes.
//
// It writes an inetd.conf with N nowait exec services on HOST:BASE..BASE+N-1
// (the bench's static daytime program), starts the server from a command
// template, and watches:
//
//   - ready_ms: exec() to the server's "msg=ready" log line (ginetd; any
//     regexp given with -ready-re), read from its stderr as it is written;
//   - listening_ms: exec() to all N ports listening, polled from
//     /proc/net/tcp (and tcp6) every -poll;
//   - idle RSS/threads (/proc/PID/status) after -settle idle;
//   - reloads: -reloads times, the config is replaced (written aside, renamed
//     over) and the server gets SIGHUP; every second reload adds one more
//     service (port BASE+N) and the others remove it, so every reload changes
//     something while the N services stay. Per reload: took_ms as the server
//     logs it ("took=" on its "msg=reload" line, ginetd) and hup_to_applied_ms
//     (SIGHUP to the extra port being in the state the config asks for).
//
// One JSON line on stdout; a human summary on stderr. Linux only; run it in
// a private network namespace (bench/ginetd-scale.sh does).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type reload struct {
	N         int     `json:"n"`
	Services  int     `json:"services"`
	TookMS    float64 `json:"took_ms"`            // as logged by the server (-1: not logged)
	AppliedMS float64 `json:"hup_to_applied_ms"`  // -1: not seen within -reload-timeout
	LogLineMS float64 `json:"hup_to_log_line_ms"` // -1: no log line
}

type result struct {
	Record       string            `json:"record"`
	Server       string            `json:"server"`
	Services     int               `json:"services"`
	Cmd          string            `json:"cmd"`
	ReadyMS      float64           `json:"ready_ms"`           // -1: no ready line
	ListeningMS  float64           `json:"listening_ms"`       // -1: not all within -start-timeout
	AtReady      int               `json:"listening_at_ready"` // ports in LISTEN when the ready line was read (-1: no line)
	PollMS       float64           `json:"poll_cost_ms"`       // time one /proc/net/tcp count takes (idle, N listening)
	IdleRSSKB    int64             `json:"idle_rss_kb"`
	IdleThreads  int64             `json:"idle_threads"`
	IdleFDs      int               `json:"idle_fds"`
	PostRSSKB    int64             `json:"post_reload_rss_kb"`
	PostThreads  int64             `json:"post_reload_threads"`
	PostFDs      int               `json:"post_reload_fds"`
	Reloads      []reload          `json:"reloads"`
	TookMedianMS float64           `json:"reload_took_median_ms"`
	TookMaxMS    float64           `json:"reload_took_max_ms"`
	ApplMedianMS float64           `json:"reload_applied_median_ms"`
	ApplMaxMS    float64           `json:"reload_applied_max_ms"`
	ReloadsSeen  int               `json:"reloads_applied"`
	Alive        bool              `json:"alive_at_end"`
	StopExit     string            `json:"stop"`
	Error        string            `json:"error,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
}

type tagList map[string]string

func (t tagList) String() string { return fmt.Sprint(map[string]string(t)) }
func (t tagList) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("tag %q: want key=value", s)
	}
	t[k] = v
	return nil
}

func main() {
	var (
		n        = flag.Int("n", 1000, "services")
		host     = flag.String("host", "127.0.0.1", "address every service binds")
		base     = flag.Int("base", 20000, "first port")
		prog     = flag.String("prog", "", "program every service runs (required; e.g. bench/.build/daytime)")
		wait     = flag.String("wait", "nowait", "wait field (e.g. nowait.1000000 for openbsd-inetd)")
		dir      = flag.String("dir", "", "scratch directory (required)")
		cmdT     = flag.String("cmd", "", "server command template: {conf} {dir} substituted (required)")
		name     = flag.String("name", "ginetd", "server name for the record")
		readyRe  = flag.String("ready-re", `msg=ready`, "stderr line that means ready (empty: none)")
		reloadRe = flag.String("reload-re", `msg=reload .*took=([0-9.]+)(µs|us|ms|s)`, "stderr line of a finished reload; group 1+2 = duration (empty: none)")
		reloads  = flag.Int("reloads", 20, "SIGHUP reloads")
		gap      = flag.Duration("gap", 300*time.Millisecond, "pause between reloads")
		poll     = flag.Duration("poll", 2*time.Millisecond, "poll period for listening sockets")
		settle   = flag.Duration("settle", time.Second, "idle time before the idle reading")
		startTO  = flag.Duration("start-timeout", 20*time.Second, "give up waiting for the ports")
		reloadTO = flag.Duration("reload-timeout", 10*time.Second, "give up waiting for one reload")
		tags     = tagList{}
	)
	flag.Var(tags, "tag", "key=value copied into the record (repeatable)")
	flag.Parse()
	if *prog == "" || *dir == "" || *cmdT == "" {
		flag.Usage()
		os.Exit(2)
	}
	res := result{Record: "scale", Server: *name, Services: *n, ReadyMS: -1, ListeningMS: -1, Tags: tags}
	conf := filepath.Join(*dir, "inetd.conf")
	if err := writeConf(conf, *n, *host, *base, *prog, *wait, false); err != nil {
		fatal(&res, err)
	}
	t := strings.ReplaceAll(*cmdT, "{conf}", conf)
	t = strings.ReplaceAll(t, "{dir}", *dir)
	args := strings.Fields(t)
	res.Cmd = t
	logf, err := os.Create(filepath.Join(*dir, "stderr.log"))
	if err != nil {
		fatal(&res, err)
	}
	defer logf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stdout = logf
	pr, pw, err := os.Pipe()
	if err != nil {
		fatal(&res, err)
	}
	cmd.Stderr = pw

	var rdyRE, relRE *regexp.Regexp
	if *readyRe != "" {
		rdyRE = regexp.MustCompile(*readyRe)
	}
	if *reloadRe != "" {
		relRE = regexp.MustCompile(*reloadRe)
	}
	type logEv struct {
		at   time.Time
		took float64
	}
	readyCh := make(chan time.Time, 1)
	portSet := map[int]bool{}
	for i := 0; i < *n; i++ {
		portSet[*base+i] = true
	}
	var atReady atomic.Int64
	atReady.Store(-1)
	reloadCh := make(chan logEv, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // stderr: tee to the log file, timestamp the lines we look for
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			now := time.Now()
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if rdyRE != nil && rdyRE.MatchString(line) {
				atReady.Store(int64(countListening(portSet)))
				select {
				case readyCh <- now:
				default:
				}
			}
			if relRE != nil {
				if m := relRE.FindStringSubmatch(line); m != nil {
					reloadCh <- logEv{now, durMS(m[1], m[2])}
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		fatal(&res, err)
	}
	pw.Close()
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	ports := portSet
	deadline := t0.Add(*startTO)
	for time.Now().Before(deadline) {
		if countListening(ports) == *n {
			res.ListeningMS = ms(time.Since(t0))
			break
		}
		select {
		case <-exited:
			res.Error = "server exited during start-up"
			emit(&res)
			return
		case <-time.After(*poll):
		}
	}
	if rdyRE != nil {
		select {
		case at := <-readyCh:
			res.ReadyMS = ms(at.Sub(t0))
		case <-time.After(2 * time.Second):
		}
	}
	time.Sleep(*settle)
	p0 := time.Now()
	countListening(ports)
	res.PollMS = ms(time.Since(p0))
	res.AtReady = int(atReady.Load())
	res.IdleRSSKB, res.IdleThreads = status(pid)
	res.IdleFDs = fds(pid)

	extra := map[int]bool{*base + *n: true}
	for i := 1; i <= *reloads; i++ {
		with := i%2 == 1
		if err := writeConf(conf, *n, *host, *base, *prog, *wait, with); err != nil {
			res.Error = err.Error()
			break
		}
		for len(reloadCh) > 0 {
			<-reloadCh
		}
		h0 := time.Now()
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			res.Error = "SIGHUP: " + err.Error()
			break
		}
		r := reload{N: i, Services: *n, TookMS: -1, AppliedMS: -1, LogLineMS: -1}
		want := 0
		if with {
			want = 1
		}
		end := h0.Add(*reloadTO)
		for time.Now().Before(end) {
			if r.AppliedMS < 0 && countListening(extra) == want {
				r.AppliedMS = ms(time.Since(h0))
				if want == 1 {
					r.Services = *n + 1
				}
			}
			if r.TookMS < 0 && relRE != nil {
				select {
				case ev := <-reloadCh:
					r.TookMS, r.LogLineMS = ev.took, ms(ev.at.Sub(h0))
				default:
				}
			}
			if r.AppliedMS >= 0 && (r.TookMS >= 0 || relRE == nil) {
				break
			}
			time.Sleep(*poll)
		}
		res.Reloads = append(res.Reloads, r)
		time.Sleep(*gap)
	}
	var took, appl []float64
	for _, r := range res.Reloads {
		if r.TookMS >= 0 {
			took = append(took, r.TookMS)
		}
		if r.AppliedMS >= 0 {
			appl = append(appl, r.AppliedMS)
			res.ReloadsSeen++
		}
	}
	res.TookMedianMS, res.TookMaxMS = medMax(took)
	res.ApplMedianMS, res.ApplMaxMS = medMax(appl)
	time.Sleep(*settle)
	res.PostRSSKB, res.PostThreads = status(pid)
	res.PostFDs = fds(pid)

	select {
	case <-exited:
		res.Alive = false
	default:
		res.Alive = true
	}
	syscall.Kill(pid, syscall.SIGTERM)
	res.StopExit = "term"
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		res.StopExit = "kill"
		<-exited
	}
	wg.Wait()
	emit(&res)
}

func emit(r *result) {
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	fmt.Fprintf(os.Stderr, "scale %s: %d services: ready %.1f ms (%d listening then), all listening %.1f ms (one poll %.1f ms), idle RSS %d KiB, %d threads, %d fds; reload took median %.1f ms (max %.1f), applied median %.1f ms (max %.1f), %d/%d applied; after reloads RSS %d KiB, %d fds %s\n",
		r.Server, r.Services, r.ReadyMS, r.AtReady, r.ListeningMS, r.PollMS, r.IdleRSSKB, r.IdleThreads, r.IdleFDs,
		r.TookMedianMS, r.TookMaxMS, r.ApplMedianMS, r.ApplMaxMS, r.ReloadsSeen, len(r.Reloads), r.PostRSSKB, r.PostFDs, r.Error)
}

func fatal(r *result, err error) {
	r.Error = err.Error()
	emit(r)
	os.Exit(1)
}

func writeConf(path string, n int, host string, base int, prog, wait string, extra bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# generated by bench/scale: %d services\n", n)
	m := n
	if extra {
		m++
	}
	for i := 0; i < m; i++ {
		fmt.Fprintf(&b, "%s:%d\tstream\ttcp\t%s\troot\t%s\t%s\n", host, base+i, wait, prog, filepath.Base(prog))
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// countListening counts the ports of want that have a TCP socket in LISTEN.
func countListening(want map[int]bool) int {
	seen := map[int]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 4 || fs[3] != "0A" { // 0A = TCP_LISTEN
				continue
			}
			_, ps, ok := strings.Cut(fs[1], ":")
			if !ok {
				continue
			}
			p, err := strconv.ParseInt(ps, 16, 32)
			if err == nil && want[int(p)] {
				seen[int(p)] = true
			}
		}
	}
	return len(seen)
}

func status(pid int) (rss, threads int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "Threads:":
			threads = v
		}
	}
	return
}

func fds(pid int) int {
	e, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(e)
}

func durMS(v, unit string) float64 {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return -1
	}
	switch unit {
	case "µs", "us":
		return f / 1000
	case "ms":
		return f
	case "s":
		return f * 1000
	}
	return -1
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func medMax(v []float64) (med, max float64) {
	if len(v) == 0 {
		return -1, -1
	}
	sort.Float64s(v)
	return v[len(v)/2], v[len(v)-1]
}
