// Daytimetcpsrv2 is the daytime server of UNIX Network Programming, figure
// 13.5, as a standalone daemon: it detaches from the terminal, listens on
// TCP, and for each client logs "connection from ADDR" to syslog and
// writes the time as ctime(3) does, "Thu Nov 26 00:55:00 2026\r\n".
//
// Usage:
//
//	daytimetcpsrv2 [flags] [host] service
//
// service is a name from /etc/services ("daytime") or a port number; 0
// lets the kernel choose, and the bound address is logged as "listening on
// ADDR". host is an address or name to bind; without it, every address.
// The arguments are checked before detaching: a usage error goes to the
// terminal and exits 2. The command returns once the daemon listens (exit
// 0), or with its error (exit 1), as daemon.Daemonize does.
//
// Flags:
//
//	-f             stay in the foreground, logging to stderr as well
//	-syslog PATH   syslog socket (default /dev/log, then /var/run/log)
//	-facility F    syslog facility (default user, as the book's daemon_init(argv[0], 0))
//	-pidfile PATH  write and lock a PID file; a second instance refuses to start
//
// SIGTERM or SIGINT closes the socket, removes the PID file and exits 0.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ginetd/ginetd/daemon"
)

const name = "daytimetcpsrv2"

const usage = "usage: daytimetcpsrv2 [-f] [-syslog PATH] [-facility F] [-pidfile PATH] [host] service"

// config is the checked command line.
type config struct {
	foreground bool
	syslog     string
	facility   daemon.Facility
	pidfile    string
	addr       string // host:port to listen on
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is the program; it returns the exit status.
func run(args []string, stderr io.Writer) int {
	cfg, err := parseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "%s: %v\n%s\n", name, err, usage)
		}
		return 2
	}
	if !cfg.foreground {
		if err := daemon.Daemonize(daemon.Options{Name: name, Facility: cfg.facility, PIDFile: cfg.pidfile}); err != nil {
			if !daemon.IsDaemon() {
				fmt.Fprintf(stderr, "%s: %v\n", name, err)
			}
			return 1
		}
	}
	log := daemon.Logger(name, cfg.facility, daemon.LogOptions{PID: true, Path: cfg.syslog, Perror: cfg.foreground})
	if err := serve(cfg, log); err != nil {
		log.Error(err.Error())
		daemon.Fail(err)
		return 1
	}
	return 0
}

// parseArgs checks the command line, resolving the service to a port.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var facility string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	fs.BoolVar(&cfg.foreground, "f", false, "stay in the foreground, logging to stderr as well")
	fs.StringVar(&cfg.syslog, "syslog", "", "syslog socket `path` (default /dev/log, then /var/run/log)")
	fs.StringVar(&facility, "facility", "user", "syslog `facility`")
	fs.StringVar(&cfg.pidfile, "pidfile", "", "PID file `path`")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var host, service string
	switch fs.NArg() {
	case 1:
		service = fs.Arg(0)
	case 2:
		host, service = fs.Arg(0), fs.Arg(1)
	default:
		return cfg, errors.New("want [host] service")
	}
	f, err := daemon.ParseFacility(facility)
	if err != nil {
		return cfg, err
	}
	cfg.facility = f
	port, err := net.LookupPort("tcp", service)
	if err != nil {
		return cfg, fmt.Errorf("service %s: unknown tcp service", service)
	}
	cfg.addr = net.JoinHostPort(host, fmt.Sprint(port))
	return cfg, nil
}

// serve listens, reports readiness and serves clients one at a time, as
// the book's iterative server does, until SIGTERM or SIGINT.
func serve(cfg config, log *slog.Logger) error {
	var pf *daemon.PIDFile
	if cfg.foreground && cfg.pidfile != "" {
		var err error
		if pf, err = daemon.OpenPIDFile(cfg.pidfile); err != nil {
			return err
		}
	} else {
		pf = daemon.DaemonPIDFile()
	}
	l, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		if pf != nil {
			pf.Remove()
		}
		return err
	}
	log.Info("listening on " + l.Addr().String())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-stop
		log.Info("exiting on " + s.String())
		l.Close()
	}()
	daemon.Ready()
	err = acceptLoop(l, log)
	if pf != nil {
		pf.Remove()
	}
	return err
}

// acceptLoop serves each client until l is closed, backing off on
// temporary errors (such as running out of fds) as net/http does.
func acceptLoop(l net.Listener, log *slog.Logger) error {
	var delay time.Duration
	for {
		c, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			log.Error("accept: "+err.Error(), "retry", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		log.Info("connection from " + c.RemoteAddr().String())
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, daytime(time.Now()))
		c.Close()
	}
}

// daytime is the line the server sends: ctime(3) without its newline, as
// "%.24s\r\n", such as "Thu Nov 26 00:55:00 2026\r\n".
func daytime(t time.Time) string {
	return fmt.Sprintf("%.24s\r\n", t.Format(time.ANSIC))
}
