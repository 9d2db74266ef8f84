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

// TestBuiltinIdleDeadline: a streaming built-in whose client goes idle is
// closed after the idle deadline, and its instance slot is freed: an echo
// client that sends nothing, a chargen client that reads nothing (while
// it reads, chargen is not idle).
func TestBuiltinIdleDeadline(t *testing.T) {
	sup, err := New(Options{Log: slog.New(slog.DiscardHandler), Idle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go sup.Run()
	defer sup.Stop()
	var svcs []*config.Service
	for _, b := range []string{"echo", "chargen"} {
		svcs = append(svcs, &config.Service{Name: b, ID: b, SockType: config.Stream, Proto: config.TCP4,
			Host: "127.0.0.1", Builtin: b, Umask: -1, MaxRate: config.NoLimit, CPSRate: config.NoLimit})
	}
	if _, err := sup.Apply(&config.Config{Services: svcs}); err != nil {
		t.Fatal(err)
	}
	rows, err := sup.Status()
	if err != nil {
		t.Fatal(err)
	}
	var echo, chargen string
	for _, r := range rows {
		if r.Name == "echo" {
			echo = r.Addr
		} else {
			chargen = r.Addr
		}
	}
	// chargen: connect and never read; its writes stall and time out.
	cg, err := net.Dial("tcp", chargen)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	// echo: never write; ginetd closes the connection.
	c, err := net.Dial("tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("echo: %v", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 5*time.Second {
		t.Errorf("echo: closed after %v, want about the 300ms idle deadline", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sup.Running() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d instances still counted after the idle close", sup.Running())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

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
