package scripttest

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Failer is what a bad argument fails: a *testscript.TestScript for a
// script command, Exit for a program a script runs.
type Failer interface {
	Fatalf(format string, args ...any)
}

// Int parses the argument what of cmd, s, as an integer in [min, max].
func Int(f Failer, cmd, what, s string, min, max int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		f.Fatalf("%s: bad %s %q: want an integer from %d to %d", cmd, what, s, min, max)
	}
	return n
}

// Count parses the argument what of cmd, s, as an integer of at least min.
func Count(f Failer, cmd, what, s string, min int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < min {
		f.Fatalf("%s: bad %s %q: want an integer of at least %d", cmd, what, s, min)
	}
	return n
}

// Duration parses the argument what of cmd, s, as a duration of at
// least min.
func Duration(f Failer, cmd, what, s string, min time.Duration) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d < min {
		f.Fatalf("%s: bad %s %q: want a duration of at least %v", cmd, what, s, min)
	}
	return d
}

// Args fails unless cmd has from min to max arguments (max < 0: no
// limit), with its usage line.
func Args(f Failer, args []string, min, max int, usage string) {
	if len(args) < min || max >= 0 && len(args) > max {
		f.Fatalf("usage: %s", usage)
	}
}

// Exit is the Failer of a program a script runs (exec PROG ... or a
// service's program): the message goes to stderr and the program exits
// with status 2.
var Exit Failer = exit{}

type exit struct{}

func (exit) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}
