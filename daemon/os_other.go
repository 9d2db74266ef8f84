//go:build unix && !linux

package daemon

import (
	"errors"
	"os"
)

// closeRangeCloexec is not available here; the caller falls back to a loop.
func closeRangeCloexec(first int) error {
	return errors.ErrUnsupported
}

// executable returns the path of this program.
func executable() (string, error) {
	return os.Executable()
}
