//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Notify sends the state lines (such as "READY=1" or "STATUS=serving") to the
// service manager in one datagram, as sd_notify(3) does: to the unix datagram
// socket named by $NOTIFY_SOCKET, either a path or, with a leading "@", an
// abstract socket name. Notify leaves $NOTIFY_SOCKET set, so it can be called
// again; a program that starts other programs must remove NOTIFY_SOCKET from
// their environment itself.
//
// Notify has three outcomes, as go-systemd's SdNotify:
//   - (false, nil): not running under a service manager ($NOTIFY_SOCKET is
//     unset or empty), nothing was sent;
//   - (true, nil): the datagram was sent;
//   - (false, err): sending failed; err says why.
func Notify(state ...string) (bool, error) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return false, nil
	}
	if !strings.HasPrefix(addr, "/") && !strings.HasPrefix(addr, "@") {
		return false, fmt.Errorf("notify %s: NOTIFY_SOCKET is neither a path nor an @abstract name", addr)
	}
	// The net package maps a leading "@" to the Linux abstract namespace.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("notify %s: %w", addr, err)
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(notifyTimeout)); err != nil {
		return false, fmt.Errorf("notify %s: %w", addr, err)
	}
	if _, err := conn.Write([]byte(strings.Join(state, "\n"))); err != nil {
		return false, fmt.Errorf("notify %s: %w", addr, err)
	}
	return true, nil
}

// notifyTimeout bounds a Notify when the service manager does not read.
const notifyTimeout = 2 * time.Second

// Ready reports that the program finished starting up. In a process detached
// by Daemonize, it makes the waiting original process exit 0; the report is
// made once, later calls only notify the service manager. Under a service
// manager it sends "READY=1" (with "MAINPID=" when detached, because the
// daemon is then not the process the manager started).
//
// The error is that of Notify; a parent that is gone is not an error.
func Ready() error {
	state := []string{"READY=1"}
	if IsDaemon() {
		reportParent(msgReady, "")
		state = append(state, "MAINPID="+strconv.Itoa(os.Getpid()))
	}
	_, err := Notify(state...)
	return err
}

// Fail reports that the program could not start. In a process detached by
// Daemonize, the waiting original process prints err on its standard error
// and exits 1. Under a service manager, Fail sends "STATUS=" with the error
// text and "ERRNO=" when err wraps a syscall.Errno. Fail does not exit: the
// caller cleans up and exits, with a non-zero status.
func Fail(err error) {
	if err == nil {
		err = errors.New("failed")
	}
	if IsDaemon() {
		reportParent(msgFail, err.Error())
	}
	state := []string{"STATUS=" + oneLine(err.Error())}
	var errno unix.Errno
	if errors.As(err, &errno) {
		state = append(state, "ERRNO="+strconv.Itoa(int(errno)))
	}
	Notify(state...) //nolint:errcheck // nothing better to do with it
}

// Reloading tells the service manager that the program is reloading its
// configuration: "RELOADING=1" with "MONOTONIC_USEC=" the current
// CLOCK_MONOTONIC time, as systemd's Type=notify-reload requires. Call Ready
// when the reload is over. The results are those of Notify.
func Reloading() (bool, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return false, fmt.Errorf("reloading: clock_gettime: %w", err)
	}
	usec := ts.Nano() / 1000
	return Notify("RELOADING=1", "MONOTONIC_USEC="+strconv.FormatInt(usec, 10))
}

// Stopping tells the service manager that the program is shutting down
// ("STOPPING=1"). The results are those of Notify.
func Stopping() (bool, error) {
	return Notify("STOPPING=1")
}

// Watchdog sends a keep-alive ("WATCHDOG=1") to the service manager. Call it
// more often than WatchdogInterval says, typically at half of it. The results
// are those of Notify.
func Watchdog() (bool, error) {
	return Notify("WATCHDOG=1")
}

// WatchdogInterval returns the watchdog timeout the service manager expects
// Watchdog calls within, from $WATCHDOG_USEC, and true; or 0 and false when
// no watchdog is set for this process: WATCHDOG_USEC unset or not a positive
// number, or WATCHDOG_PID set to another process's pid (it was inherited).
func WatchdogInterval() (time.Duration, bool) {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0, false
	}
	if p := os.Getenv("WATCHDOG_PID"); p != "" {
		pid, err := strconv.Atoi(p)
		if err != nil || pid != os.Getpid() {
			return 0, false
		}
	}
	return time.Duration(usec) * time.Microsecond, true
}

// oneLine folds s onto one line, for a STATUS= field.
func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}
