package frontdoor

import (
	"io"
	"os"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// childEnv makes the test binary act as a service child (see runChild).
const childEnv = "FRONTDOOR_TEST_CHILD"

// bigOut is what the bigout child writes.
const bigOut = 1 << 20

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	goleak.VerifyTestMain(m)
}

// runChild is a child with behaviour cat(1) and env(1) lack.
//
//	shutwr: write "bye\n", shutdown(SHUT_WR) its socket, then read stdin
//	        to EOF; exit 0 if it read exactly "ping\n", else 3.
//	bigout: write bigOut bytes without reading stdin, then exit.
func runChild(mode string) int {
	switch mode {
	case "bigout":
		if _, err := os.Stdout.Write(make([]byte, bigOut)); err != nil {
			return 3
		}
		return 0
	case "shutwr":
		os.Stdout.WriteString("bye\n")
		if err := unix.Shutdown(1, unix.SHUT_WR); err != nil {
			return 4
		}
		b, err := io.ReadAll(os.Stdin)
		if err != nil || string(b) != "ping\n" {
			return 3
		}
		return 0
	}
	return 100
}
