package frontdoor

import (
	"bufio"
	"context"
	"crypto/tls"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const opensslPath = "/usr/bin/openssl"

// sClient starts openssl s_client against addr with a client certificate.
func sClient(t *testing.T, ctx context.Context, p *pki, addr, cert, key string, extra ...string) *exec.Cmd {
	t.Helper()
	if _, err := os.Stat(opensslPath); err != nil {
		t.Skip("no openssl (Debian package openssl)")
	}
	args := []string{"s_client", "-connect", addr, "-servername", "localhost",
		"-CAfile", p.caFile, "-verify_return_error", "-cert", cert, "-key", key}
	return exec.CommandContext(ctx, opensslPath, append(args, extra...)...)
}

// TestOpenSSLEcho: s_client sends a line, gets it back from cat, then at
// the end of its input sends close_notify, which must end cat.
func TestOpenSSLEcho(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	srv := startServer(t, p.newTLS(t, true, ""), []string{"/bin/cat"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := sClient(t, ctx, p, srv.addr(), p.clientCert, p.clientKey, "-quiet", "-no_ign_eof")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdin.Write([]byte("hello through openssl\n"))
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "hello through openssl\n" {
		t.Fatalf("read %q, %v; stderr:\n%s", line, err, stderr.String())
	}
	stdin.Close()
	if code := srv.waitExit(t); code != 0 {
		t.Errorf("cat exited %d", code)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("s_client: %v; stderr:\n%s", err, stderr.String())
	}
}

// TestOpenSSLEnv: env(1) as the child prints TLS_CLIENT_SUBJECT and exits;
// s_client, whose input stays open, must see the server close.
func TestOpenSSLEnv(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	srv := startServer(t, p.newTLS(t, true, ""), []string{"/usr/bin/env"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := sClient(t, ctx, p, srv.addr(), p.clientCert, p.clientKey, "-quiet")
	stdin, _ := cmd.StdinPipe() // left open until s_client exits
	defer stdin.Close()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("s_client: %v; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(string(out), "\nTLS_CLIENT_SUBJECT=CN=alice,O=Example\n") {
		t.Errorf("child's environment lacks the subject:\n%s", out)
	}
	if !strings.Contains(string(out), "TLS_VERSION=TLS1.3\n") {
		t.Errorf("child's environment lacks TLS_VERSION:\n%s", out)
	}
	srv.waitExit(t)
}

// TestOpenSSLRefused: an expired client certificate and one from another
// CA are refused, and no child runs.
func TestOpenSSLRefused(t *testing.T) {
	p := newPKI(t)
	srv := startServer(t, p.newTLS(t, true, ""), []string{"/bin/cat"})
	for _, tc := range []struct {
		name string
		cert tls.Certificate
	}{{"expired", p.expired}, {"wrong CA", p.wrongClient}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			certFile, keyFile := writePEM(t, t.TempDir(), "client", tc.cert)
			cmd := sClient(t, ctx, p, srv.addr(), certFile, keyFile, "-quiet")
			cmd.Stdin = strings.NewReader("hello\n")
			out, _ := cmd.CombinedOutput()
			if strings.Contains(string(out), "hello") {
				t.Errorf("refused client got an echo:\n%s", out)
			}
			if err := srv.waitErr(t); !strings.Contains(err.Error(), "handshake") {
				t.Errorf("server error %v", err)
			}
		})
	}
	select {
	case code := <-srv.exits:
		t.Errorf("a child ran (exit %d)", code)
	default:
	}
}
