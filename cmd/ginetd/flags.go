package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/loader"
)

// flags is ginetd's command line (ginetd(8), OPTIONS).
type flags struct {
	fs           *flag.FlagSet
	foreground   bool
	debug        bool
	log          string
	facility     string
	pidfile      string
	rate         int
	rateSet      bool // -R was given
	rateInterval time.Duration
	drain        time.Duration // how long the old ginetd of an upgrade serves its connections
	control      string
	metrics      string
	logFormat    string
	syslogPath   string
	hostsAllow   string
	hostsDeny    string
	resolve      time.Duration // -resolve-timeout
}

func newFlags() *flags {
	f := &flags{fs: flag.NewFlagSet("ginetd", flag.ContinueOnError)}
	fs := f.fs
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.BoolVar(&f.foreground, "f", false, "stay in the foreground; do not daemonize")
	fs.BoolVar(&f.debug, "d", false, "debug: foreground, verbose logs to stderr")
	fs.StringVar(&f.log, "log", "", "where logs go: syslog, stderr or a file path (default: syslog when daemonized, stderr in the foreground)")
	fs.StringVar(&f.facility, "facility", "daemon", "syslog facility")
	fs.StringVar(&f.pidfile, "pidfile", "", "pid file, locked so a second instance refuses to start (default /run/ginetd.pid when daemonized as root)")
	fs.IntVar(&f.rate, "R", config.DefaultRate, "spawn-rate limit per service per rate interval (inetd -R) for services without their own; 0 = unlimited; when not given, xinetd-syntax services get cps = 50 10 instead")
	fs.DurationVar(&f.rateInterval, "rate-interval", time.Minute, "the interval of -R and of a service's .MAX")
	fs.StringVar(&f.control, "control", "", "control socket for status/reload/stop; \"none\" for none (default /run/ginetd.sock as root)")
	fs.DurationVar(&f.drain, "drain", 5*time.Minute, "after a binary upgrade, how long the old ginetd goes on serving the connections it serves itself (built-ins, redirects, tcpmux, TLS relays) before it exits")
	fs.StringVar(&f.metrics, "metrics", "", "serve Prometheus /metrics on this address")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.hostsAllow, "hosts-allow", "/etc/hosts.allow", "hosts_access(5) allow file (\"none\": do not consult hosts.allow/deny)")
	fs.StringVar(&f.hostsDeny, "hosts-deny", "/etc/hosts.deny", "hosts_access(5) deny file")
	fs.DurationVar(&f.resolve, "resolve-timeout", 30*time.Second, "how long one load of the configuration (start, reload, check) may spend resolving names (hosts, services, users); past it the load fails")
	fs.StringVar(&f.syslogPath, "syslog-socket", "", "syslog socket for -log syslog (default /dev/log)")
	return f
}

func (f *flags) validate() error {
	if f.logFormat != "text" && f.logFormat != "json" {
		return fmt.Errorf("-log-format %q: want text or json", f.logFormat)
	}
	if f.rate < 0 {
		return errors.New("-R must not be negative")
	}
	f.fs.Visit(func(fl *flag.Flag) { f.rateSet = f.rateSet || fl.Name == "R" })
	if f.rateInterval <= 0 {
		return errors.New("-rate-interval must be positive")
	}
	if f.resolve <= 0 {
		return errors.New("-resolve-timeout must be positive")
	}
	if f.debug {
		f.foreground = true
		if f.log == "" {
			f.log = "stderr"
		}
	}
	return nil
}

// loadOptions returns what the command line says about loading the
// configuration: -R, only when it was given, applies to every dialect.
func (f *flags) loadOptions() loader.Options {
	var o loader.Options
	if f.rateSet {
		o.Rate = config.Rate(f.rate)
	}
	return o
}

// load loads the configuration with -resolve-timeout for its name
// lookups.
func (f *flags) load(paths []string) (*config.Config, config.Problems) {
	ctx, cancel := context.WithTimeout(context.Background(), f.resolve)
	defer cancel()
	return loader.Load(ctx, paths, f.loadOptions())
}

// configs returns the configuration files: the arguments, or /etc/inetd.conf.
func (f *flags) configs() []string {
	if f.fs.NArg() == 0 {
		return []string{"/etc/inetd.conf"}
	}
	return f.fs.Args()
}

// controlPath returns the control socket path, or "" for none.
func (f *flags) controlPath() string {
	if f.control == "none" {
		return ""
	}
	if f.control != "" {
		return f.control
	}
	if os.Geteuid() == 0 {
		return "/run/ginetd.sock"
	}
	return ""
}

// absolute makes the paths of the command line absolute against dir: the
// daemon's working directory is "/".
func (f *flags) absolute(dir string) {
	args := f.fs.Args()
	if len(args) > 0 {
		abs := make([]string, len(args))
		for i, a := range args {
			abs[i] = absPath(dir, a)
		}
		f.fs.Parse(abs) // positional only: nothing to fail
	}
	if f.log != "" && f.log != "syslog" && f.log != "stderr" {
		f.log = absPath(dir, f.log)
	}
	f.pidfile = absPath(dir, f.pidfile)
	if f.control != "none" {
		f.control = absPath(dir, f.control)
	}
	f.hostsAllow = absPath(dir, f.hostsAllow)
	f.hostsDeny = absPath(dir, f.hostsDeny)
}

func absPath(dir, p string) string {
	if p == "" || p == "none" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
