package listen

import (
	"net"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TakeConn works on any socket connection (a unix stream socket made the
// old *net.TCPConn assertion panic) and gives a descriptor that is
// blocking, close-on-exec and 3 or above.
func TestTakeConn(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(t.TempDir(), "s")
			}
			ln, err := net.Listen(network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			client, err := net.Dial(network, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			conn, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			fd, err := TakeConn(conn)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			if fd < 3 {
				t.Errorf("fd %d, want 3 or above", fd)
			}
			if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
				t.Error("not close-on-exec")
			}
			if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
				t.Error("non-blocking")
			}
			if _, err := unix.Write(fd, []byte("x")); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 1)
			if _, err := client.Read(b); err != nil || b[0] != 'x' {
				t.Fatalf("read %q, %v", b, err)
			}
			if err := conn.Close(); err == nil {
				t.Error("conn still open after TakeConn")
			}
		})
	}
}
