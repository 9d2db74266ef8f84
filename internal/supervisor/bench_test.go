package supervisor

import (
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// BenchmarkAcceptDaytime measures the accept path of the loop: a client
// connects to an inline daytime built-in (accept4, the limit checks, the
// answer, close) and reads the answer to its end.
func BenchmarkAcceptDaytime(b *testing.B) {
	sup, err := New(Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	go sup.Run()
	defer sup.Stop()
	svc := &config.Service{Name: "daytime", ID: "daytime", SockType: config.Stream, Proto: config.TCP4,
		Host: "127.0.0.1", Builtin: "daytime", Umask: -1, MaxRate: config.NoLimit, CPSRate: config.NoLimit}
	if _, err := sup.Apply(&config.Config{Services: []*config.Service{svc}}); err != nil {
		b.Fatal(err)
	}
	rows, err := sup.Status()
	if err != nil {
		b.Fatal(err)
	}
	addr := rows[0].Addr
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, c)
			c.Close()
		}
	})
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system time so far: the cost of a
// connection to client and server together, less sensitive than elapsed
// time to what else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
