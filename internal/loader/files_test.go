package loader

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ginetd/ginetd/internal/config"
)

func TestPrepareBanners(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.txt")
	big := filepath.Join(dir, "big.txt")
	fifo := filepath.Join(dir, "fifo")
	os.WriteFile(ok, []byte("hello\r\n"), 0o644)
	os.WriteFile(big, []byte(strings.Repeat("x", maxBanner+1)), 0o644)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	s := &config.Service{Pos: config.Pos{File: "x.conf", Line: 3}, Name: "b", Proto: config.TCP4,
		Banner: ok, BannerSuccess: big, BannerFail: fifo}
	var probs config.Problems
	if !prepare(s, &probs) {
		t.Fatal("a service with unreadable banners is left out")
	}
	if string(s.BannerData) != "hello\r\n" || s.BannerOKData != nil || s.BannerFailData != nil {
		t.Errorf("banners %q %q %q", s.BannerData, s.BannerOKData, s.BannerFailData)
	}
	want := []string{
		"x.conf:3: warning: b/tcp4: banner_success " + big + ": larger than 4096 bytes; none is sent",
		"x.conf:3: warning: b/tcp4: banner_fail " + fifo + ": not a regular file; none is sent",
	}
	if probs.HasErrors() || len(probs) != len(want) {
		t.Fatalf("problems:\n%v", probs.Error())
	}
	for i, p := range probs {
		if p.Error() != want[i] {
			t.Errorf("problem %d:\n%s\nwant\n%s", i, p.Error(), want[i])
		}
	}
}

func TestPrepareTLSMissing(t *testing.T) {
	s := &config.Service{Pos: config.Pos{File: "x.conf", Line: 7}, Name: "t", Proto: config.TCP4,
		TLSCert: "/nonexistent/c.pem", TLSKey: "/nonexistent/k.pem"}
	var probs config.Problems
	if prepare(s, &probs) {
		t.Fatal("a service without its TLS material is kept")
	}
	if got, want := probs.Error(), "x.conf:7: t/tcp4: tls_cert /nonexistent/c.pem: no such file or directory"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if s.Prepared() == nil {
		t.Error("Prepared accepts a TLS service without its material")
	}
}
