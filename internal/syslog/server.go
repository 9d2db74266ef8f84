package syslog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ginetd/ginetd/internal/syslog/conf"
	"github.com/ginetd/ginetd/internal/syslog/input"
	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// Options configures a daemon.
type Options struct {
	Config   string   // syslog.conf path
	Sockets  []string // unix datagram sockets
	UDP      string   // UDP address to listen on; "" for none
	Kmsg     string   // kernel log device; "" for none
	Utmp     string   // utmp file for user terminals
	Hostname string   // shown in lines; the short host name
	AddrFile string   // when set, the bound UDP address is written there
	Stderr   io.Writer
	// Ready is called once the inputs are open and the configuration is
	// loaded.
	Ready func()
}

// stopGrace bounds the final drain of the inputs at shutdown.
const stopGrace = 5 * time.Second

// syncLinger is how long a reader waits for more datagrams before ending a
// batch when some output is fsynced (group commit; see input.SetLinger).
var syncLinger = 100 * time.Microsecond

// StartError is an error that kept the daemon from starting.
type StartError struct{ Err error }

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// Server is a running gsyslogd.
type Server struct {
	opts    Options
	env     env
	pid     []byte
	d       *dispatcher
	sources []*input.Source
}

// Run starts the daemon and serves until a SIGTERM or SIGINT arrives on
// signals, reloading on SIGHUP. It returns a *StartError when it could not
// start, nil after a clean shutdown.
func Run(opts Options, signals <-chan os.Signal) error {
	s := &Server{opts: opts, pid: []byte(strconv.Itoa(os.Getpid()))}
	s.env = env{host: []byte(opts.Hostname), utmp: opts.Utmp}
	if err := s.start(); err != nil {
		return &StartError{err}
	}
	var wg sync.WaitGroup
	for _, src := range s.sources {
		wg.Go(func() {
			if err := src.Run(s.d.handle); err != nil {
				s.logf(msg.Err, "%s: read: %v", src.Name, err)
			}
		})
	}
	stopTick := make(chan struct{})
	go func() {
		t := time.NewTicker(repeatFlush / 3)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				s.d.tick(now)
			case <-stopTick:
				return
			}
		}
	}()
	s.logf(msg.Info, "start: inputs %s", s.inputNames())
	if opts.Ready != nil {
		opts.Ready()
	}
	for sig := range signals {
		if sig == syscall.SIGHUP {
			s.reload()
			continue
		}
		s.logf(msg.Info, "exiting on %s", sigName(sig))
		break
	}
	close(stopTick)
	s.shutdown(&wg)
	return nil
}

func (s *Server) start() error {
	cfg, problems, err := readConfig(s.opts.Config)
	if err != nil {
		return err
	}
	t, openErr, _ := buildTable(cfg, s.env, false)
	s.d = newDispatcher(s.env.host, t, s.stderrf)
	s.d.pid = s.pid
	for _, p := range problems {
		s.logf(msg.Err, "%v (line ignored)", p)
	}
	if openErr != nil {
		s.logf(msg.Err, "%v", openErr)
	}
	if err := s.openInputs(); err != nil {
		s.d.t.close()
		return err
	}
	s.setLinger(t)
	return nil
}

// setLinger makes the readers group commits when t has fsynced files.
func (s *Server) setLinger(t *table) {
	d := time.Duration(0)
	if t.sync {
		d = syncLinger
	}
	if v, err := time.ParseDuration(os.Getenv("GSYSLOGD_LINGER")); err == nil {
		d = v
	}
	for _, src := range s.sources {
		src.SetLinger(d)
	}
}

func (s *Server) openInputs() error {
	var failed []error
	for _, path := range s.opts.Sockets {
		if src, err := input.ListenUnix(path); err != nil {
			failed = append(failed, err)
			s.logf(msg.Err, "%v", err)
		} else {
			s.sources = append(s.sources, src)
		}
	}
	if s.opts.UDP != "" {
		src, err := input.ListenUDP(s.opts.UDP)
		if err != nil {
			s.closeSources()
			return err
		}
		s.sources = append(s.sources, src)
		if s.opts.AddrFile != "" {
			if err := writeAtomic(s.opts.AddrFile, src.Addr+"\n"); err != nil {
				s.closeSources()
				return err
			}
		}
	}
	if s.opts.Kmsg != "" {
		src, err := input.OpenKmsg(s.opts.Kmsg)
		if err != nil {
			s.closeSources()
			return err
		}
		s.sources = append(s.sources, src)
	}
	if len(s.sources) == 0 {
		return fmt.Errorf("no input could be opened: %w", errors.Join(failed...))
	}
	return nil
}

func (s *Server) inputNames() string {
	out := ""
	for i, src := range s.sources {
		if i > 0 {
			out += ", "
		}
		out += src.Addr
	}
	return out
}

// reload reads the configuration and opens its sinks; only if all of that
// works is the new table handed to the dispatcher.
func (s *Server) reload() {
	cfg, problems, err := readConfig(s.opts.Config)
	if err == nil && len(problems) > 0 {
		err = problems
	}
	var (
		t       *table
		skipped error
	)
	if err == nil {
		t, skipped, err = buildTable(cfg, s.env, true)
	}
	if err != nil {
		s.logf(msg.Err, "reload failed, keeping the running configuration: %v", err)
		return
	}
	if skipped != nil {
		s.logf(msg.Err, "reload: %v (output left out until the next reload)", skipped)
	}
	s.d.swap(t)
	s.setLinger(t)
	s.logf(msg.Info, "reload: %s, %d outputs", s.opts.Config, len(t.outputs))
}

// shutdown drains the inputs, lets the dispatcher write what they hand
// over, then closes everything.
//
// A reader that does not finish within stopGrace (one stuck on a kernel
// log device, say) is left behind: the outputs are closed anyway, and
// whatever it hands over later is dropped by the closed dispatcher.
func (s *Server) shutdown(wg *sync.WaitGroup) {
	for _, src := range s.sources {
		src.Stop()
	}
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(stopGrace):
		s.stderrf(msg.Warning, "inputs did not drain within %v", stopGrace)
	}
	s.d.close()
	s.closeSources()
}

func (s *Server) closeSources() {
	for _, src := range s.sources {
		if err := src.Close(); err != nil {
			s.stderrf(msg.Err, "%s: close: %v", src.Name, err)
		}
	}
}

// logf logs one of the daemon's own messages (facility syslog, tag
// gsyslogd) to stderr and through the outputs.
func (s *Server) logf(sev int, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	s.stderrf(sev, "%s", text)
	m := msg.Message{
		Pri:   uint8(msg.Syslog<<3 | sev),
		Stamp: msg.MakeStamp(time.Now()),
		Tag:   []byte("gsyslogd"),
		PID:   s.pid,
		Text:  []byte(text),
	}
	s.d.own(&m)
}

func (s *Server) stderrf(sev int, format string, args ...any) {
	if s.opts.Stderr != nil {
		fmt.Fprintf(s.opts.Stderr, "gsyslogd: %s: %s\n", msg.SeverityName(sev), fmt.Sprintf(format, args...))
	}
}

// readConfig reads and parses a configuration file.
func readConfig(path string) (*conf.Config, conf.Problems, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	cfg, problems := conf.Parse(path, src)
	return cfg, problems, nil
}

// Check parses the configuration file path and returns its problems, or
// the error reading it.
func Check(path string) (conf.Problems, error) {
	_, problems, err := readConfig(path)
	return problems, err
}

func writeAtomic(path, content string) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func sigName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}
