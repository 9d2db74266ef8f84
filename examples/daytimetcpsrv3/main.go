// Daytimetcpsrv3 is the daytime server of UNIX Network Programming, figure
// 13.12, run by an inetd (ginetd, inetd, xinetd, systemd-socket-activate
// --inetd) as a nowait stream service: the client is on fd 0. It logs
// "connection from ADDR" to syslog, writes the time as ctime(3) does,
// "Thu Nov 26 00:55:00 2026\r\n", and exits.
//
// Usage:
//
//	daytimetcpsrv3 [-syslog PATH] [-facility F]
//
//	-syslog PATH   syslog socket (default /dev/log, then /var/run/log)
//	-facility F    syslog facility (default user, as daemon_inetd(argv[0], 0))
//
// An inetd.conf line:
//
//	daytime stream tcp nowait nobody /usr/local/libexec/daytimetcpsrv3 daytimetcpsrv3
//
// and an xinetd.d file is in examples/xinetd.d/daytimetcpsrv3.
//
// Its fd 2 is the client too, so it never writes to stderr while serving;
// syslog is its only voice. Started from a shell (fd 0 not a socket), it
// says so on stderr and exits 1; a usage error exits 2.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ginetd/ginetd/daemon"
)

const name = "daytimetcpsrv3"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is the program; it returns the exit status.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	syslogPath := fs.String("syslog", "", "syslog socket `path` (default /dev/log, then /var/run/log)")
	facility := fs.String("facility", "user", "syslog `facility`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fac, err := daemon.ParseFacility(*facility)
	if err != nil || fs.NArg() != 0 {
		fmt.Fprintf(stderr, "%s: bad arguments: %v\nusage: %s [-syslog PATH] [-facility F]\n", name, err, name)
		return 2
	}
	log := daemon.Logger(name, fac, daemon.LogOptions{PID: true, Path: *syslogPath})
	conn, err := daemon.InetdConn()
	if err != nil {
		// Not run by an inetd: fd 2 is not the client, so say it there too.
		log.Error(err.Error())
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	defer conn.Close()
	log.Info("connection from " + conn.RemoteAddr().String())
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, daytime(time.Now())); err != nil {
		log.Error("write: "+err.Error(), "peer", conn.RemoteAddr().String())
		return 1
	}
	return 0
}

// daytime is the line the server sends: ctime(3) without its newline, as
// "%.24s\r\n", such as "Thu Nov 26 00:55:00 2026\r\n".
func daytime(t time.Time) string {
	return fmt.Sprintf("%.24s\r\n", t.Format(time.ANSIC))
}
