// Command gsyslogd is the syslog daemon of gsyslogd(8): it reads messages from
// unix datagram sockets (/dev/log), and optionally UDP and /dev/kmsg, and
// files them as syslog.conf says. See docs/gsyslogd.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ginetd/ginetd/internal/syslog"
	"github.com/ginetd/ginetd/internal/syslog/sink"
)

// Exit codes (s6 convention).
const (
	exitOK     = 0
	exitConfig = 1   // check found errors
	exitUsage  = 100 // bad command line
	exitSystem = 111 // could not start or run
)

const usage = `usage:
  gsyslogd [-f] [-c /etc/syslog.conf] [-socket /dev/log]... [-udp ADDR] [-kmsg]
           [-pidfile P] [-utmp FILE] [-addrfile FILE]   run the daemon
  gsyslogd check [-c FILE]                            check the configuration
  gsyslogd version
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "devel"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return check(args[1:], stdout, stderr)
		case "version", "-version", "--version":
			fmt.Fprintf(stdout, "gsyslogd %s\n", version)
			return exitOK
		}
	}
	fs := flag.NewFlagSet("gsyslogd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	var (
		opts       syslog.Options
		sockets    listFlag
		foreground = fs.Bool("f", false, "stay in the foreground")
		kmsg       = fs.Bool("kmsg", false, "read kernel messages from /dev/kmsg")
		pidfile    = fs.String("pidfile", "", "write and lock a pid file")
	)
	fs.StringVar(&opts.Config, "c", "/etc/syslog.conf", "configuration file")
	fs.Var(&sockets, "socket", "unix datagram socket to read (repeatable; default /dev/log)")
	fs.StringVar(&opts.UDP, "udp", "", "also read UDP on this address (host:port)")
	fs.StringVar(&opts.Utmp, "utmp", sink.DefaultUtmp, "utmp file listing logged-in users")
	fs.StringVar(&opts.AddrFile, "addrfile", "", "write the bound UDP address to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gsyslogd: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if len(sockets) == 0 {
		sockets = listFlag{"/dev/log"}
	}
	if *kmsg {
		opts.Kmsg = "/dev/kmsg"
	}
	// The daemon runs in "/" and parses the same arguments again: every
	// path is made absolute, against the directory of the original command
	// (passed to the daemon in dirEnv).
	dir := os.Getenv(dirEnv)
	if dir == "" {
		dir, _ = os.Getwd()
	}
	for _, p := range []*string{&opts.Config, &opts.Utmp, &opts.AddrFile, pidfile} {
		abs(dir, p)
	}
	for i := range sockets {
		abs(dir, &sockets[i])
	}
	opts.Sockets = sockets
	opts.Hostname = shortHostname()
	opts.Stderr = stderr
	return serve(opts, *foreground, *pidfile, dir, stderr)
}

func serve(opts syslog.Options, foreground bool, pidfile, dir string, stderr io.Writer) int {
	// Notify before detaching so that no signal is lost in between;
	// SIGPIPE is caught so that a closed stderr is only an EPIPE.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGPIPE)
	pf, err := detach(foreground, pidfile, dir)
	if err != nil {
		fmt.Fprintf(stderr, "gsyslogd: %v\n", err)
		return exitSystem
	}
	opts.Ready = ready
	filtered := make(chan os.Signal, 8)
	go func() {
		for s := range sigs {
			if s != syscall.SIGPIPE {
				filtered <- s
			}
		}
	}()
	err = syslog.Run(opts, filtered)
	if pf != nil {
		pf.Remove()
	}
	if err != nil {
		fail(err)
		fmt.Fprintf(stderr, "gsyslogd: %v\n", err)
		return exitSystem
	}
	return exitOK
}

func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gsyslogd check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("c", "/etc/syslog.conf", "configuration file")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	problems, err := syslog.Check(*cfg)
	if err != nil {
		fmt.Fprintf(stderr, "gsyslogd: %v\n", err)
		return exitSystem
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p.Error())
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "gsyslogd: %d error(s)\n", len(problems))
		return exitConfig
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}

// dirEnv names the working directory of the command in the daemon's
// environment.
const dirEnv = "GSYSLOGD_DIR"

func abs(dir string, p *string) {
	if *p != "" && !filepath.IsAbs(*p) {
		*p = filepath.Join(dir, *p)
	}
}

// shortHostname is os.Hostname up to its first dot.
func shortHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}
