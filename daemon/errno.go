package daemon

import (
	"errors"
	"syscall"
)

// Errno returns the text of the system error in err, as %m in syslog(3)
// prints strerror(errno): for an error wrapping a syscall.Errno (an
// *os.PathError, *net.OpError, ...), the errno's text alone, such as
// "no such file or directory"; for any other error, err.Error(); for nil,
// "". Go's errno texts are strerror's, in lower case.
func Errno(err error) string {
	if err == nil {
		return ""
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
