package main

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
)

// svcSdact is a service written for systemd socket activation with the
// ecosystem's own client library, go-systemd's activation package: with
// argument "nowait" it expects the connection at fd 3 (Accept=yes), with
// "wait" the listening socket (Accept=no).
func svcSdact() {
	mode := "nowait"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	pidOK := os.Getenv("LISTEN_PID") == fmt.Sprint(os.Getpid())
	if mode == "wait" {
		ls, err := activation.Listeners()
		if err != nil || len(ls) != 1 || ls[0] == nil {
			fmt.Printf("sdact: listeners %v %v\n", ls, err)
			os.Exit(1)
		}
		for {
			ls[0].(*net.TCPListener).SetDeadline(time.Now().Add(time.Second))
			c, err := ls[0].Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "sdact wait pid=%d listen_pid_ok=%v\n", os.Getpid(), pidOK)
			c.Close()
		}
	}
	files := activation.Files(true)
	if len(files) != 1 {
		fmt.Printf("sdact: %d files\n", len(files))
		os.Exit(1)
	}
	c, err := net.FileConn(files[0])
	if err != nil {
		fmt.Printf("sdact: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(c, "sdact nowait name=%s remote=%s listen_pid_ok=%v\n", files[0].Name(), c.RemoteAddr(), pidOK)
}
