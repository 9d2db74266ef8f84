// Command upgload is the wait-service program of bench/upgrade-under-load.sh
// and the checker of what its children recorded.
//
//	upgload wait-tcp DIR NAME LIFE   (ginetd starts it: a stream wait service)
//	upgload wait-udp DIR NAME LIFE   (a datagram wait service)
//	upgload check DIR NAME...        (after the run: prints and judges)
//	upgload clients DIR NAME:KIND... (the loadgen results DIR/load-NAME.json)
//
// As a service it serves the socket on descriptor 0 for LIFE (a Go
// duration) and exits: stream, it accepts every connection and writes
// "pid N\n"; datagram, it answers every datagram with "pid N\n". So a child
// is busy, and serving, across whatever happens meanwhile (an upgrade),
// and children come and go all the time.
//
// It detects two servers on one socket for real: on start it takes
// flock(LOCK_EX|LOCK_NB) on DIR/NAME.lock, which only one live process can
// hold (the kernel releases it when the holder exits). A child that cannot
// take it writes an "overlap" line. Each child also writes "start" and
// "end" lines to DIR/NAME.log with its pid, its parent's pid and
// CLOCK_MONOTONIC, so that check also finds overlapping lifetimes. Each
// line is one write(2) to a file opened O_APPEND.
//
// Only the Go standard library is used. Linux only.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	switch os.Args[1] {
	case "wait-tcp", "wait-udp":
		if len(os.Args) != 5 {
			usage()
		}
		life, err := time.ParseDuration(os.Args[4])
		if err != nil || life <= 0 {
			usage()
		}
		serve(os.Args[1], os.Args[2], os.Args[3], life)
	case "check":
		os.Exit(check(os.Args[2], os.Args[3:]))
	case "clients":
		os.Exit(clients(os.Args[2], os.Args[3:]))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: upgload wait-tcp|wait-udp DIR NAME LIFE | upgload check DIR NAME... | upgload clients DIR NAME:KIND...")
	os.Exit(2)
}

// monotonic returns CLOCK_MONOTONIC in nanoseconds: comparable between
// processes on one machine, unlike the wall clock.
func monotonic() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return ts.Nano()
}

// record appends one line to the service's log in one write.
func record(log *os.File, format string, args ...any) {
	log.WriteString(fmt.Sprintf(format, args...) + "\n")
}

func serve(kind, dir, name string, life time.Duration) {
	log, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "upgload:", err)
		os.Exit(1)
	}
	pid, ppid := os.Getpid(), os.Getppid()
	// os.OpenFile opens close-on-exec; the lock goes with this process.
	lock, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		record(log, "error %d %d %d open lock: %v", pid, ppid, monotonic(), err)
		os.Exit(1)
	}
	for {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		// Another child of this service is alive: two servers on one socket.
		record(log, "overlap %d %d %d %v", pid, ppid, monotonic(), err)
	}
	record(log, "start %d %d %d", pid, ppid, monotonic())
	deadline := time.Now().Add(life)
	answer := []byte("pid " + strconv.Itoa(pid) + "\n")
	served := 0
	if kind == "wait-tcp" {
		served = serveStream(deadline, answer)
	} else {
		served = serveDgram(deadline, answer)
	}
	record(log, "end %d %d %d %d", pid, ppid, monotonic(), served)
}

func serveStream(deadline time.Time, answer []byte) int {
	ln, err := net.FileListener(os.NewFile(0, "listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "upgload:", err)
		os.Exit(1)
	}
	tl := ln.(*net.TCPListener)
	tl.SetDeadline(deadline)
	var wg sync.WaitGroup
	n := 0
	for {
		c, err := tl.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if time.Now().After(deadline) {
				break
			}
			continue // ECONNABORTED and the like: the next one
		}
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			c.Write(answer)
		}()
	}
	wg.Wait()
	return n
}

func serveDgram(deadline time.Time, answer []byte) int {
	pc, err := net.FilePacketConn(os.NewFile(0, "dgram"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "upgload:", err)
		os.Exit(1)
	}
	pc.SetReadDeadline(deadline)
	buf := make([]byte, 2048)
	n := 0
	for {
		_, addr, err := pc.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if time.Now().After(deadline) {
				break
			}
			continue
		}
		n++
		pc.WriteTo(answer, addr)
	}
	return n
}

type child struct {
	pid, ppid  int
	start, end int64 // CLOCK_MONOTONIC ns; end 0: no end line (killed, or still running)
	served     int
	overlap    bool
}

// check reads each service's log and prints one line per service:
// children started, parents (ginetd processes) that started them,
// requests served, overlaps seen by the lock, overlapping lifetimes.
// It returns 1 when any service shows an overlap or a child error.
func check(dir string, names []string) int {
	status := 0
	fmt.Printf("%-10s %8s %8s %8s %14s %14s %8s\n", "service", "children", "parents", "served", "overlaps(lock)", "overlaps(time)", "no-end")
	for _, name := range names {
		kids, errs, err := readLog(filepath.Join(dir, name+".log"))
		if err != nil {
			fmt.Printf("%-10s error: %v\n", name, err)
			status = 1
			continue
		}
		parents := map[int]bool{}
		served, lockOv, noEnd := 0, 0, 0
		for _, k := range kids {
			parents[k.ppid] = true
			served += k.served
			if k.overlap {
				lockOv++
			}
			if k.end == 0 {
				noEnd++
			}
		}
		timeOv := overlaps(kids)
		fmt.Printf("%-10s %8d %8d %8d %14d %14d %8d\n", name, len(kids), len(parents), served, lockOv, len(timeOv), noEnd)
		for _, o := range timeOv {
			fmt.Printf("  %s: %s\n", name, o)
		}
		for _, e := range errs {
			fmt.Printf("  %s: %s\n", name, e)
		}
		if lockOv > 0 || len(timeOv) > 0 || len(errs) > 0 || len(kids) == 0 {
			status = 1
		}
	}
	return status
}

func readLog(path string) (kids []*child, errs []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	byPid := map[int]*child{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 4 {
			continue
		}
		pid, _ := strconv.Atoi(fl[1])
		ppid, _ := strconv.Atoi(fl[2])
		t, _ := strconv.ParseInt(fl[3], 10, 64)
		k := byPid[pid]
		if k == nil {
			k = &child{pid: pid, ppid: ppid}
			byPid[pid] = k
			kids = append(kids, k)
		}
		switch fl[0] {
		case "start":
			k.start = t
		case "end":
			k.end = t
			if len(fl) > 4 {
				k.served, _ = strconv.Atoi(fl[4])
			}
		case "overlap":
			k.overlap = true
			if k.start == 0 {
				k.start = t
			}
		default:
			errs = append(errs, sc.Text())
		}
	}
	return kids, errs, sc.Err()
}

// overlaps lists the children that started while another one was alive
// (between its start line and its end line; a child without an end line
// is taken as alive until the end).
func overlaps(kids []*child) []string {
	s := append([]*child(nil), kids...)
	sort.Slice(s, func(i, j int) bool { return s[i].start < s[j].start })
	var out []string
	var last *child // the live child whose end is the latest so far
	for _, k := range s {
		if last != nil && (last.end == 0 || k.start < last.end) {
			if last.end == 0 {
				out = append(out, fmt.Sprintf("pid %d (parent %d) started while pid %d (parent %d, no end line) was alive",
					k.pid, k.ppid, last.pid, last.ppid))
			} else {
				out = append(out, fmt.Sprintf("pid %d (parent %d) started %.3f s before pid %d (parent %d) ended",
					k.pid, k.ppid, float64(last.end-k.start)/1e9, last.pid, last.ppid))
			}
		}
		if last == nil || last.end != 0 && (k.end == 0 || k.end > last.end) {
			last = k
		}
	}
	return out
}

// loadResult is what clients reads of loadgen's JSON line.
type loadResult struct {
	Concurrency  int               `json:"concurrency"`
	OK           int64             `json:"ok"`
	ErrorsTotal  int64             `json:"errors_total"`
	Errors       map[string]int64  `json:"errors"`
	ErrorSamples map[string]string `json:"error_samples"`
}

// clients prints one line per loadgen run DIR/load-NAME.json (clients,
// attempts ok and failed, failures by kind with a sample) and a total. It
// returns 1 when a run failed an attempt, served none, or left no result.
func clients(dir string, specs []string) int {
	status := 0
	fmt.Printf("%-10s %-14s %7s %8s %7s  %s\n", "service", "kind", "clients", "ok", "failed", "errors")
	var c int
	var ok, failed int64
	for _, spec := range specs {
		name, kind, _ := strings.Cut(spec, ":")
		b, err := os.ReadFile(filepath.Join(dir, "load-"+name+".json"))
		var r loadResult
		if err == nil {
			lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
			err = json.Unmarshal(lines[len(lines)-1], &r)
		}
		if err != nil {
			fmt.Printf("%-10s %-14s no result (%v)\n", name, kind, err)
			status = 1
			continue
		}
		var errs []string
		for k, v := range r.Errors {
			if v > 0 {
				errs = append(errs, fmt.Sprintf("%s %d", k, v))
			}
		}
		sort.Strings(errs)
		var samples []string
		for k, v := range r.ErrorSamples {
			samples = append(samples, k+": "+v)
		}
		sort.Strings(samples)
		detail := strings.Join(errs, ", ")
		if len(samples) > 0 {
			detail += "  (" + strings.Join(samples, "; ") + ")"
		}
		fmt.Printf("%-10s %-14s %7d %8d %7d  %s\n", name, kind, r.Concurrency, r.OK, r.ErrorsTotal, detail)
		c += r.Concurrency
		ok += r.OK
		failed += r.ErrorsTotal
		if r.ErrorsTotal > 0 || r.OK == 0 {
			status = 1
		}
	}
	fmt.Printf("%-10s %-14s %7d %8d %7d\n", "total", "", c, ok, failed)
	return status
}
