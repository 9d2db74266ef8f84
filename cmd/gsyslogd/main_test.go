package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestExitCodes checks the s6-style exit codes, which scripts cannot see.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	good := filepath.Join(dir, "good.conf")
	os.WriteFile(bad, []byte("bom.* /x\n"), 0o644)
	os.WriteFile(good, []byte("*.* /x\n"), 0o644)
	sock, err := os.MkdirTemp("", "s")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sock)
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"-nosuchflag"}, exitUsage},
		{[]string{"-f", "extra"}, exitUsage},
		{[]string{"check", "-c", bad}, exitConfig},
		{[]string{"check", "-c", good}, exitOK},
		{[]string{"check", "-c", filepath.Join(dir, "missing")}, exitSystem},
		{[]string{"-f", "-c", filepath.Join(dir, "missing"), "-socket", filepath.Join(sock, "l")}, exitSystem},
		{[]string{"-f", "-c", good, "-socket", "/nonexistent/dir/log"}, exitSystem},
		{[]string{"version"}, exitOK},
	}
	for _, tt := range tests {
		if got := run(tt.args, io.Discard, io.Discard); got != tt.want {
			t.Errorf("gsyslogd %q: exit %d, want %d", tt.args, got, tt.want)
		}
	}
}
