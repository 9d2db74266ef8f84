// Command tlsload is a closed-loop TLS client for bench/tls-vs-stunnel.sh.
//
// Two modes, both against a TLS echo service (a TLS terminator in front of
// /bin/cat):
//
//	-mode hs    c workers; each repeatedly dials, completes a full TLS
//	            handshake (no session cache, so never resumed), writes
//	            -msg bytes, reads them back, verifies them and closes.
//	            Runs for -duration; reports handshakes/s.
//	-mode bulk  c connections; each streams -bytes through the echo
//	            (a writer goroutine sends, the main goroutine reads back and
//	            verifies every byte), then sends close_notify and reads
//	            until EOF. Reports payload MB/s (10^6 bytes, counted once:
//	            bytes echoed back to the client, summed over connections,
//	            over the wall time from the first dial to the last EOF).
//
// It prints one JSON line on stdout and one human line on stderr. With
// -pids it also reports the CPU (utime+stime from /proc/PID/stat) those
// processes used during the run. Go standard library only.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type result struct {
	Tool        string             `json:"tool"`
	Mode        string             `json:"mode"`
	Addr        string             `json:"addr"`
	Concurrency int                `json:"concurrency"`
	DurationS   float64            `json:"duration_s,omitempty"`
	ElapsedS    float64            `json:"elapsed_s"`
	OK          int64              `json:"ok"`
	Errors      map[string]int64   `json:"errors"`
	ErrSample   map[string]string  `json:"error_samples,omitempty"`
	HSPerS      float64            `json:"hs_per_s,omitempty"`
	LatUS       map[string]float64 `json:"lat_us,omitempty"`
	HSLatUS     map[string]float64 `json:"hs_lat_us,omitempty"`
	Bytes       int64              `json:"bytes,omitempty"`
	MBPerS      float64            `json:"mb_per_s,omitempty"`
	TLSVersion  string             `json:"tls_version"`
	Cipher      string             `json:"cipher"`
	Curve       string             `json:"curve"`
	Resumed     int64              `json:"resumed"`
	Server      []procCPU          `json:"server,omitempty"`
	ServerCPUUS float64            `json:"server_cpu_us_per_op,omitempty"`
	HostBusyPct float64            `json:"host_cpu_busy_pct"`
	HostBusyS   float64            `json:"host_cpu_busy_s"` // CPU-seconds used on the whole machine during the run
	ClientCPUS  float64            `json:"client_cpu_s"`    // this process (utime+stime)
	OtherCPUS   float64            `json:"other_cpu_s"`     // host busy - client - watched servers: children, kernel threads, other jobs
	Tags        map[string]string  `json:"tags,omitempty"`
	StartUnix   float64            `json:"start_unix"`
}

type procCPU struct {
	PID     int     `json:"pid"`
	Name    string  `json:"name"`
	CPUS    float64 `json:"cpu_s"`
	USPerOp float64 `json:"cpu_us_per_op"`
}

type tagList map[string]string

func (t tagList) String() string { return fmt.Sprint(map[string]string(t)) }
func (t tagList) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("tag %q: want k=v", s)
	}
	t[k] = v
	return nil
}

var (
	addr     = flag.String("addr", "127.0.0.1:17201", "TLS echo service")
	mode     = flag.String("mode", "hs", "hs (handshakes/s) or bulk (MB/s)")
	conc     = flag.Int("c", 8, "concurrent connections (closed loop)")
	duration = flag.Duration("duration", 10*time.Second, "hs: how long to run")
	msgSize  = flag.Int("msg", 16, "hs: bytes echoed per connection")
	nbytes   = flag.Int64("bytes", 64<<20, "bulk: bytes streamed through each connection")
	caFile   = flag.String("ca", "", "PEM certificate(s) to verify the server with (empty: do not verify the chain)")
	sni      = flag.String("servername", "localhost", "SNI and name to verify")
	curves   = flag.String("curves", "x25519", "key exchange offered: x25519, p256, or default (Go's default list, with X25519MLKEM768 first)")
	timeout  = flag.Duration("timeout", 10*time.Second, "hs: per-connection deadline; bulk: per-read/write idle deadline")
	pids     = flag.String("pids", "", "comma-separated server PIDs whose CPU to report")
	quiet    = flag.Bool("q", false, "JSON only")
	tags     = tagList{}
)

func main() {
	flag.Var(tags, "tag", "k=v added to the JSON (repeatable)")
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tlsload:", err)
		os.Exit(2)
	}
}

func clientConfig() (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName: *sni,
		MinVersion: tls.VersionTLS13,
		MaxVersion: tls.VersionTLS13,
		// ClientSessionCache stays nil: no session resumption, every
		// connection is a full handshake.
	}
	switch *curves {
	case "x25519":
		cfg.CurvePreferences = []tls.CurveID{tls.X25519}
	case "p256":
		cfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
	case "default":
	default:
		return nil, fmt.Errorf("-curves %q: want x25519, p256 or default", *curves)
	}
	if *caFile == "" {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificate", *caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

type stats struct {
	mu        sync.Mutex
	ok        int64
	errs      map[string]int64
	samples   map[string]string
	lat, hs   []time.Duration
	bytes     int64
	version   string
	cipher    string
	curve     string
	resumed   int64
	firstSeen bool
}

func (s *stats) fail(kind string, err error) {
	s.mu.Lock()
	s.errs[kind]++
	if _, ok := s.samples[kind]; !ok {
		s.samples[kind] = err.Error()
	}
	s.mu.Unlock()
}

func (s *stats) state(cs tls.ConnectionState) {
	if cs.DidResume {
		atomic.AddInt64(&s.resumed, 1)
	}
	s.mu.Lock()
	if !s.firstSeen {
		s.firstSeen = true
		s.version = tls.VersionName(cs.Version)
		s.cipher = tls.CipherSuiteName(cs.CipherSuite)
		s.curve = cs.CurveID.String()
	}
	s.mu.Unlock()
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	}
	return "other"
}

func run() error {
	if *mode != "hs" && *mode != "bulk" {
		return fmt.Errorf("-mode %q: want hs or bulk", *mode)
	}
	cfg, err := clientConfig()
	if err != nil {
		return err
	}
	var watched []int
	if *pids != "" {
		for _, f := range strings.Split(*pids, ",") {
			p, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("-pids: %v", err)
			}
			watched = append(watched, p)
		}
	}
	st := &stats{errs: map[string]int64{}, samples: map[string]string{}}
	cpu0 := make([]float64, len(watched))
	for i, p := range watched {
		cpu0[i], _ = procCPUSeconds(p)
	}
	busy0, total0 := hostCPU()
	self0 := selfCPUSeconds()
	start := time.Now()
	if *mode == "hs" {
		runHS(cfg, st)
	} else {
		runBulk(cfg, st)
	}
	elapsed := time.Since(start)
	busy1, total1 := hostCPU()
	self1 := selfCPUSeconds()

	r := result{
		Tool: "tlsload", Mode: *mode, Addr: *addr, Concurrency: *conc,
		ElapsedS: elapsed.Seconds(), OK: st.ok, Errors: st.errs, ErrSample: st.samples,
		TLSVersion: st.version, Cipher: st.cipher, Curve: st.curve, Resumed: st.resumed,
		Tags: tags, StartUnix: float64(start.UnixNano()) / 1e9,
	}
	if len(r.ErrSample) == 0 {
		r.ErrSample = nil
	}
	if total1 > total0 {
		r.HostBusyPct = 100 * float64(busy1-busy0) / float64(total1-total0)
	}
	r.HostBusyS = float64(busy1-busy0) / 100 // USER_HZ
	r.ClientCPUS = self1 - self0
	ops := st.ok
	if *mode == "hs" {
		r.DurationS = duration.Seconds()
		r.HSPerS = float64(st.ok) / elapsed.Seconds()
		r.LatUS = pct(st.lat)
		r.HSLatUS = pct(st.hs)
	} else {
		r.Bytes = st.bytes
		r.MBPerS = float64(st.bytes) / elapsed.Seconds() / 1e6
		r.LatUS = pct(st.lat)
		ops = st.bytes >> 20 // per MiB
	}
	var sum float64
	for i, p := range watched {
		c1, _ := procCPUSeconds(p)
		pc := procCPU{PID: p, Name: procName(p), CPUS: c1 - cpu0[i]}
		if ops > 0 {
			pc.USPerOp = pc.CPUS * 1e6 / float64(ops)
		}
		sum += pc.CPUS
		r.Server = append(r.Server, pc)
	}
	r.OtherCPUS = r.HostBusyS - r.ClientCPUS - sum
	if len(watched) > 0 && ops > 0 {
		r.ServerCPUUS = sum * 1e6 / float64(ops)
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	if !*quiet {
		var errn int64
		for _, n := range st.errs {
			errn += n
		}
		unit := "µs/handshake"
		if *mode == "hs" {
			fmt.Fprintf(os.Stderr, "%s hs c=%d: %d ok, %.1f hs/s, p50 %.0f µs, %d errors, %s %s %s, server cpu %.0f %s, host busy %.0f%%\n",
				*addr, *conc, st.ok, r.HSPerS, r.LatUS["p50"], errn, r.TLSVersion, r.Cipher, r.Curve, r.ServerCPUUS, unit, r.HostBusyPct)
		} else {
			fmt.Fprintf(os.Stderr, "%s bulk c=%d: %d conns ok, %.1f MB/s (%d bytes in %.2fs), %d errors, %s %s, server cpu %.0f µs/MiB, host busy %.0f%%\n",
				*addr, *conc, st.ok, r.MBPerS, st.bytes, elapsed.Seconds(), errn, r.TLSVersion, r.Cipher, r.ServerCPUUS, r.HostBusyPct)
		}
	}
	if st.ok == 0 {
		os.Exit(1)
	}
	return nil
}

func dial(cfg *tls.Config, deadline time.Time) (*tls.Conn, error) {
	d := net.Dialer{Deadline: deadline}
	c, err := d.Dial("tcp", *addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(c, cfg)
	c.SetDeadline(deadline)
	if err := tc.HandshakeContext(context.Background()); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

func runHS(cfg *tls.Config, st *stats) {
	end := time.Now().Add(*duration)
	msg := bytes.Repeat([]byte("0123456789abcdef"), (*msgSize+15)/16)[:*msgSize]
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, len(msg))
			var lat, hs []time.Duration
			for time.Now().Before(end) {
				t0 := time.Now()
				tc, err := dial(cfg, t0.Add(*timeout))
				if err != nil {
					st.fail("dial/handshake "+classify(err), err)
					time.Sleep(time.Millisecond)
					continue
				}
				t1 := time.Now()
				st.state(tc.ConnectionState())
				if _, err := tc.Write(msg); err != nil {
					tc.Close()
					st.fail("write "+classify(err), err)
					continue
				}
				if _, err := io.ReadFull(tc, buf); err != nil {
					tc.Close()
					st.fail("read "+classify(err), err)
					continue
				}
				tc.Close()
				if !bytes.Equal(buf, msg) {
					st.fail("mismatch", errors.New("echo differs"))
					continue
				}
				lat = append(lat, time.Since(t0))
				hs = append(hs, t1.Sub(t0))
				atomic.AddInt64(&st.ok, 1)
			}
			st.mu.Lock()
			st.lat = append(st.lat, lat...)
			st.hs = append(st.hs, hs...)
			st.mu.Unlock()
		}()
	}
	wg.Wait()
}

// pattern is what bulk sends: byte i of the stream is pattern[i%len] with
// len not a power of two, so that a shifted or repeated chunk is caught.
var pattern = func() []byte {
	p := make([]byte, 65521)
	x := uint32(2463534242)
	for i := range p {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x)
	}
	return p
}()

func runBulk(cfg *tls.Config, st *stats) {
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			tc, err := dial(cfg, t0.Add(*timeout))
			if err != nil {
				st.fail("dial/handshake "+classify(err), err)
				return
			}
			tc.SetDeadline(time.Time{})
			st.state(tc.ConnectionState())
			defer tc.Close()
			werr := make(chan error, 1)
			go func() {
				var sent int64
				for sent < *nbytes {
					off := int(sent % int64(len(pattern)))
					n := int64(len(pattern) - off)
					if n > 32<<10 {
						n = 32 << 10
					}
					if n > *nbytes-sent {
						n = *nbytes - sent
					}
					tc.SetWriteDeadline(time.Now().Add(*timeout))
					if _, err := tc.Write(pattern[off : off+int(n)]); err != nil {
						werr <- err
						return
					}
					sent += n
				}
				werr <- tc.CloseWrite() // close_notify: the child reads EOF
			}()
			buf := make([]byte, 64<<10)
			var got int64
			var rerr error
			for {
				tc.SetReadDeadline(time.Now().Add(*timeout))
				n, err := tc.Read(buf)
				if n > 0 {
					off := int(got % int64(len(pattern)))
					b := buf[:n]
					for len(b) > 0 {
						k := len(pattern) - off
						if k > len(b) {
							k = len(b)
						}
						if !bytes.Equal(b[:k], pattern[off:off+k]) {
							rerr = fmt.Errorf("mismatch at byte %d", got)
							break
						}
						b = b[k:]
						off = 0
						got += int64(k)
					}
					if rerr != nil {
						break
					}
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					rerr = err
					break
				}
			}
			if rerr != nil {
				tc.Close()
				<-werr
				kind := "read " + classify(rerr)
				if strings.HasPrefix(rerr.Error(), "mismatch") {
					kind = "mismatch"
				}
				st.fail(kind, rerr)
				atomic.AddInt64(&st.bytes, got)
				return
			}
			if err := <-werr; err != nil {
				st.fail("write "+classify(err), err)
			}
			atomic.AddInt64(&st.bytes, got)
			if got != *nbytes {
				st.fail("short", fmt.Errorf("echoed %d of %d bytes", got, *nbytes))
				return
			}
			st.mu.Lock()
			st.lat = append(st.lat, time.Since(t0))
			st.mu.Unlock()
			atomic.AddInt64(&st.ok, 1)
		}()
	}
	wg.Wait()
}

func pct(d []time.Duration) map[string]float64 {
	if len(d) == 0 {
		return nil
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(p float64) float64 {
		i := int(p*float64(len(d))+0.999999) - 1 // nearest rank
		if i < 0 {
			i = 0
		}
		if i >= len(d) {
			i = len(d) - 1
		}
		return float64(d[i].Microseconds())
	}
	return map[string]float64{"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": at(1)}
}

// procCPUSeconds is utime+stime of pid (not its children), in seconds.
func procCPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	stt, _ := strconv.ParseFloat(f[12], 64)
	return (ut + stt) / 100, nil // USER_HZ is 100 on Linux
}

func procName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func selfCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// hostCPU returns busy and total jiffies of all CPUs from /proc/stat.
func hostCPU() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}
