package supervisor

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// TestApplyOpensNoFile: Apply only swaps in what the loader prepared: a
// service whose log_type file the loader did not open (Service.LogFile
// nil) logs to ginetd's log only, and Apply opens or creates nothing.
func TestApplyOpensNoFile(t *testing.T) {
	sup, err := New(Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	go sup.Run()
	defer sup.Stop()
	logFile := filepath.Join(t.TempDir(), "svc.log")
	svc := &config.Service{Name: "daytime", ID: "daytime", SockType: config.Stream, Proto: config.TCP4,
		Host: "127.0.0.1", Builtin: "daytime", Umask: -1, MaxRate: config.NoLimit, CPSRate: config.NoLimit,
		LogType: &config.LogType{File: logFile}}
	if _, err := sup.Apply(&config.Config{Services: []*config.Service{svc}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(logFile); !os.IsNotExist(err) {
		t.Errorf("Apply opened the service's log file (stat: %v)", err)
	}
}

// TestTCPMuxHelpDuringReload: a tcpmux connection's goroutine answers
// HELP from what the loop gave it, while reloads give the sub-services
// new configurations (under -race, a read of the loop's state from the
// goroutine shows).
func TestTCPMuxHelpDuringReload(t *testing.T) {
	sup, err := New(Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	go sup.Run()
	defer sup.Stop()
	conf := func() *config.Config {
		mux := &config.Service{Name: "tcpmux", ID: "tcpmux", SockType: config.Stream, Proto: config.TCP4,
			Host: "127.0.0.1", Builtin: "tcpmux", Umask: -1, MaxRate: config.NoLimit, CPSRate: config.NoLimit}
		sub := &config.Service{Name: "hello", ID: "hello", SockType: config.Stream, Proto: config.TCP4,
			TCPMux: true, Program: "/bin/true", Args: []string{"true"}, Umask: -1, MaxRate: config.NoLimit, CPSRate: config.NoLimit}
		return &config.Config{Services: []*config.Service{mux, sub}}
	}
	if _, err := sup.Apply(conf()); err != nil {
		t.Fatal(err)
	}
	rows, err := sup.Status()
	if err != nil {
		t.Fatal(err)
	}
	var addr string
	for _, r := range rows {
		if r.Name == "tcpmux" {
			addr = r.Addr
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			sup.Apply(conf())
		}
	}()
	for i := 0; i < 50; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte("HELP\r\n"))
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(b) != "hello\r\n" {
			t.Fatalf("HELP: %q, %v", b, err)
		}
	}
	<-done
}

// TestApplyKeepsSharedCgroup: a service that moves to another address
// keeps its label, hence its cgroup directory; removing the old entry
// leaves the directory the new one uses. Apply itself creates none: it
// swaps in what the loader set up (Service.Cgroups).
func TestApplyKeepsSharedCgroup(t *testing.T) {
	sup, err := New(Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	go sup.Run()
	defer sup.Stop()
	dir := filepath.Join(t.TempDir(), "ginetd-svc_tcp4") // stands for a cgroup the loader set up
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	svc := func(host string) *config.Config {
		return &config.Config{Services: []*config.Service{{Name: "svc", ID: "svc", SockType: config.Stream,
			Proto: config.TCP4, Host: host, Builtin: "daytime", Umask: -1, MaxRate: config.NoLimit,
			CPSRate: config.NoLimit, PidsMax: "5", Cgroups: []string{dir}}}}
	}
	if _, err := sup.Apply(svc("127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	d, err := sup.Apply(svc("127.0.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Added) != 1 || len(d.Removed) != 1 {
		t.Fatalf("diff %+v, want one added and one removed", d)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the moved service's cgroup was removed with its old entry: %v", err)
	}
	if _, err := sup.Apply(&config.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the cgroup of a removed service stays (%v)", err)
	}
}
