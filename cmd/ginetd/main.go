// Command ginetd is the Internet super-server: it reads inetd.conf and
// xinetd.conf files, listens on every service's socket at once, answers
// built-in services itself and starts a program per client.
//
// See ginetd(8) (docs/ginetd.8) for the command line.
package main

import (
	"fmt"
	"os"

	"github.com/ginetd/ginetd/internal/spawn"
)

// Exit codes (s6 convention).
const (
	exitOK     = 0
	exitConfig = 1   // configuration errors
	exitUsage  = 100 // bad command line
	exitBug    = 101
	exitSystem = 111 // a system call failed
)

const usage = `usage:
  ginetd [flags] [CONFIG ...]        run the super-server
  ginetd check [flags] [CONFIG ...]  validate only; print problems; exit 1 on errors
  ginetd status [-control PATH]      one row per service
  ginetd reload|stop|upgrade [-control PATH]
                                     ask the running daemon to reload / stop /
                                     start the binary on disk in its place
  ginetd version

CONFIG defaults to /etc/inetd.conf. Flags:
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "devel"

func main() {
	if len(os.Args) > 0 && os.Args[0] == spawn.TrampolineArg0 {
		spawn.Trampoline(os.Args[1:])
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := ""
	if len(args) > 0 {
		switch args[0] {
		case "check", "status", "reload", "stop", "upgrade", "version", "help":
			cmd, args = args[0], args[1:]
		}
	}
	switch cmd {
	case "version":
		fmt.Println("ginetd", version)
		return exitOK
	case "help":
		fmt.Print(usage)
		newFlags().fs.PrintDefaults()
		return exitOK
	}
	f := newFlags()
	if err := f.fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := f.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "ginetd:", err)
		return exitUsage
	}
	switch cmd {
	case "check":
		return check(f)
	case "status", "reload", "stop", "upgrade":
		return controlCmd(f, cmd)
	}
	return serve(f)
}
