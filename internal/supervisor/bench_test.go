package supervisor

import (
	"io"
	"log/slog"
	"net"
	"testing"

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
}
