//go:build unix

package daemon

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Options says how Daemonize detaches the program.
type Options struct {
	// Name identifies the program in syslog and in the original process's
	// error message. When set, the daemon's default slog logger becomes
	// Logger(Name, Facility, LogOptions{PID: true}), as daemon_init calls
	// openlog. Empty: the default logger is left alone, and messages use
	// the base name of os.Args[0].
	Name string
	// Facility is the syslog facility of that logger; the zero value, Kern,
	// means User, as with openlog(3).
	Facility Facility
	// Dir is the daemon's working directory; empty means "/".
	Dir string
	// Umask is the daemon's file mode creation mask; -1 keeps the current
	// one. The zero value sets umask 0, as daemon_init does.
	Umask int
	// PIDFile, when set, is opened with OpenPIDFile by the daemon: a second
	// instance fails to start with "already running (pid N)".
	PIDFile string
	// Env holds extra environment variables ("KEY=value") for the daemon.
	Env []string
}

// pidFile is the PID file Daemonize opened; see DaemonPIDFile.
var pidFile *PIDFile

// Daemonize turns the program into a daemon, as daemon_init in UNIX Network
// Programming does, by re-executing it (see the package documentation).
//
// In the original process Daemonize never returns: it waits until the
// daemon calls Ready, then exits 0; or until it calls Fail or exits, then
// prints the daemon's error on its standard error and exits 1. A failure to
// start the daemon at all is returned as an error.
//
// In the daemon Daemonize returns nil, after opening opts.PIDFile and
// setting the default logger (see Options). If one of these fails, it
// reports the error to the original process as Fail does and returns it;
// the caller should then exit. In a process that is already a daemon, later
// calls do nothing and return nil.
func Daemonize(opts Options) error {
	if IsDaemon() {
		return setUpDaemon(opts)
	}
	exe, err := executable()
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	dir := opts.Dir
	if dir == "" {
		dir = "/"
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("daemonize: pipe: %w", err)
	}
	defer r.Close()
	markCloseOnExec()
	cmd, err := stageCommand(exe, "1", w, opts.Env)
	if err != nil {
		w.Close()
		return err
	}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if opts.Umask >= 0 {
		unix.Umask(opts.Umask) // inherited by both stages
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("daemonize: start %s: %w", exe, err)
	}
	go cmd.Wait() // reap stage 1, which exits at once
	os.Exit(waitReady(r, programName(opts.Name), os.Stderr))
	panic("unreachable")
}

// waitReady reads the readiness pipe until the daemon reports, and returns
// the original process's exit status, writing any failure to stderr.
func waitReady(r io.Reader, name string, stderr io.Writer) int {
	br := bufio.NewReader(r)
	pid := 0
	for {
		line, err := br.ReadString('\n')
		kind, text, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		switch {
		case kind == msgPID:
			pid, _ = strconv.Atoi(text)
			continue
		case kind == msgReady:
			return 0
		case kind == msgFail:
			rest, _ := io.ReadAll(br)
			fmt.Fprintf(stderr, "%s: %s\n", name, strings.TrimRight(text+"\n"+string(rest), "\n"))
			return 1
		case err != nil:
			if pid != 0 {
				fmt.Fprintf(stderr, "%s: daemon (pid %d) exited before it was ready\n", name, pid)
			} else {
				fmt.Fprintf(stderr, "%s: daemon exited before it was ready\n", name)
			}
			return 1
		}
	}
}

// setUpDaemon does the daemon's side of Daemonize once.
func setUpDaemon(opts Options) error {
	mu.Lock()
	done := setUp
	setUp = true
	mu.Unlock()
	if done {
		return nil
	}
	if opts.PIDFile != "" {
		pf, err := OpenPIDFile(opts.PIDFile)
		if err != nil {
			err = fmt.Errorf("daemonize: %w", err)
			Fail(err)
			return err
		}
		mu.Lock()
		pidFile = pf
		mu.Unlock()
	}
	if opts.Name != "" {
		slog.SetDefault(Logger(opts.Name, opts.Facility, LogOptions{PID: true}))
	}
	return nil
}

// setUp is set once the daemon's side of Daemonize has run.
var setUp bool

// DaemonPIDFile returns the PID file Daemonize opened for Options.PIDFile,
// or nil. The daemon removes it when it stops.
func DaemonPIDFile() *PIDFile {
	mu.Lock()
	defer mu.Unlock()
	return pidFile
}

// programName is name, or the base name of os.Args[0].
func programName(name string) string {
	if name != "" {
		return name
	}
	return filepath.Base(os.Args[0])
}
