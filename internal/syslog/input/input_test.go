package input

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func shortDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// collect runs src until n messages arrived, returning their texts and hosts.
func collect(t *testing.T, src *Source, n int, send func()) (texts, hosts []string, truncated []int) {
	t.Helper()
	done := make(chan error, 1)
	got := make(chan int, 100)
	go func() {
		done <- src.Run(func(b *Batch) {
			for _, m := range b.Msgs {
				texts = append(texts, string(m.Text))
				hosts = append(hosts, string(m.Host))
				truncated = append(truncated, m.Truncated)
			}
			got <- len(texts)
		})
	}()
	send()
	timeout := time.After(10 * time.Second)
	for k := 0; k < n; {
		select {
		case k = <-got:
		case <-timeout:
			t.Fatalf("got %d of %d messages", k, n)
		}
	}
	src.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-timeout:
		t.Fatal("Run did not return after Stop")
	}
	return texts, hosts, truncated
}

func TestUnixSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "log")
	// a stale socket is replaced
	old, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("live socket: %v", err)
	}
	old.Close()
	src, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("mode: %v %v", fi.Mode(), err)
	}
	big := "<13>t: " + strings.Repeat("x", 10000)
	texts, hosts, trunc := collect(t, src, 3, func() {
		c, err := net.Dial("unixgram", path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, s := range []string{"<13>Nov 26 00:58:32 vm tg: one", "<0>kern: two", big} {
			if _, err := c.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
	})
	if texts[0] != "one" || hosts[0] != "" || texts[1] != "two" || trunc[2] != len(big) || trunc[0] != 0 {
		t.Fatalf("texts %q hosts %q trunc %v", texts[:2], hosts, trunc)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
}

func TestNotASocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "f")
	os.WriteFile(path, nil, 0o644)
	if _, err := ListenUnix(path); err == nil {
		t.Fatal("regular file replaced")
	}
}

func TestUDP(t *testing.T) {
	src, err := ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	texts, hosts, _ := collect(t, src, 2, func() {
		c, err := net.Dial("udp", src.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("<13>Nov 26 00:58:32 remote tg: one"))
		c.Write([]byte("<13>tg: two"))
	})
	if texts[0] != "one" || hosts[0] != "remote" || hosts[1] != "127.0.0.1" {
		t.Fatalf("texts %q hosts %q", texts, hosts)
	}
}

// TestStopDrains checks that what is queued when Stop is called is read.
func TestStopDrains(t *testing.T) {
	path := filepath.Join(shortDir(t), "log")
	src, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c, err := net.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		c.Write([]byte("<13>t: queued"))
	}
	c.Close()
	src.Stop()
	n := 0
	if err := src.Run(func(b *Batch) { n += len(b.Msgs) }); err != nil || n != 5 {
		t.Fatalf("Run after Stop: %d messages, %v", n, err)
	}
}

// TestLinger checks that with a linger a batch waits for late datagrams.
func TestLinger(t *testing.T) {
	path := filepath.Join(shortDir(t), "log")
	src, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.SetLinger(500 * time.Millisecond)
	c, err := net.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sizes := make(chan int, 10)
	done := make(chan error, 1)
	go func() { done <- src.Run(func(b *Batch) { sizes <- len(b.Msgs) }) }()
	c.Write([]byte("<13>t: first"))
	time.Sleep(50 * time.Millisecond)
	c.Write([]byte("<13>t: late"))
	if n := <-sizes; n != 2 {
		t.Fatalf("first batch has %d messages, want 2", n)
	}
	src.Stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
