//go:build unix

package daemon

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// stageEnv is the marker variable of the re-executed stages of Daemonize:
// "1" in the session leader, "2" in the daemon. The readiness pipe's write
// end is always at fd 3 in both.
const stageEnv = "_GO_DAEMON_STAGE"

// pipeFD is where each stage finds the readiness pipe.
const pipeFD = 3

// The messages on the readiness pipe: one line each, and the failure message
// takes the rest of the stream.
const (
	msgPID   = "pid"
	msgReady = "ready"
	msgFail  = "fail"
)

// state of this process as a daemon; set by init, then read-only except
// pipe, which reportParent consumes under mu.
var (
	detached bool // this process is the daemon (stage 2)
	mu       sync.Mutex
	pipe     *os.File // readiness pipe to the original process; nil once used
)

// init runs the middle stage of Daemonize, or records that this process is
// the daemon. It runs before main, so neither stage repeats the program's
// own start-up beyond package initialisation.
func init() {
	stage := os.Getenv(stageEnv)
	if stage == "" {
		return
	}
	os.Unsetenv(stageEnv) // never inherited by the daemon's own children
	var st unix.Stat_t
	if err := unix.Fstat(pipeFD, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return // not started by Daemonize: ignore the stray marker
	}
	unix.CloseOnExec(pipeFD)
	f := os.NewFile(pipeFD, "daemon-ready-pipe")
	switch stage {
	case "1":
		os.Exit(secondStage(f))
	case "2":
		detached, pipe = true, f
		fmt.Fprintf(pipe, "%s %d\n", msgPID, os.Getpid())
	}
}

// secondStage runs in the session leader (stage 1): it starts the daemon as
// its child, which is therefore not a session leader and can never acquire a
// controlling terminal, and returns the exit status of stage 1. It writes
// on the pipe only when the daemon could not be started: the daemon writes
// its own pid first, so the two never interleave.
func secondStage(pipe *os.File) int {
	exe, err := executable()
	if err == nil {
		var cmd *exec.Cmd
		cmd, err = stageCommand(exe, "2", pipe, nil)
		if err == nil {
			err = cmd.Start()
		}
		if err == nil {
			return 0 // the daemon tells its pid itself: no interleaving
		}
	}
	fmt.Fprintf(pipe, "%s daemonize: start daemon: %v", msgFail, err)
	return 1
}

// stageCommand prepares the next stage: this program with the same
// arguments, the environment plus env and the stage marker, fds 0-2 on
// /dev/null and the readiness pipe on fd 3. Only those fds are open in it:
// markCloseOnExec has marked the rest of this process's fds.
func stageCommand(exe, stage string, pipe *os.File, env []string) (*exec.Cmd, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("daemonize: %w", err)
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(append(os.Environ(), env...), stageEnv+"="+stage)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{pipe}
	return cmd, nil
}

// reportParent sends one message to the original process waiting in
// Daemonize and closes the pipe; later calls do nothing. A parent that is
// gone is ignored: the write fails with EPIPE, not SIGPIPE, on this fd.
func reportParent(kind, text string) {
	mu.Lock()
	defer mu.Unlock()
	if pipe == nil {
		return
	}
	if text == "" {
		fmt.Fprintf(pipe, "%s\n", kind)
	} else {
		fmt.Fprintf(pipe, "%s %s", kind, text)
	}
	pipe.Close()
	pipe = nil
}

// IsDaemon reports whether this process is a daemon started by Daemonize.
func IsDaemon() bool {
	return detached
}

// markCloseOnExec sets close-on-exec on every fd from 3 up, so that the next
// stage inherits only what exec.Cmd passes explicitly. Go opens its own fds
// with O_CLOEXEC already; this catches fds inherited from our parent.
func markCloseOnExec() {
	if closeRangeCloexec(3) == nil {
		return
	}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range ents {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= 3 {
				unix.CloseOnExec(fd)
			}
		}
		return
	}
	var rl unix.Rlimit
	max := 1024
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur < 1<<16 {
		max = int(rl.Cur)
	}
	for fd := 3; fd < max; fd++ {
		unix.CloseOnExec(fd)
	}
}
