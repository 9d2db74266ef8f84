package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary be gsyslogd itself.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gsyslogd": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// scriptCmds are the commands of the scripts in testdata/script.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"expand":     cmdExpand,
	"envfile":    cmdEnvFile,
	"send":       cmdSend,
	"gosyslog":   cmdGoSyslog,
	"waitfile":   cmdWaitFile,
	"waitgone":   cmdWaitGone,
	"sig":        cmdSig,
	"stalesock":  cmdStaleSock,
	"mkfifo":     cmdMkfifo,
	"fiforead":   cmdFifoRead,
	"pty":        cmdPty,
	"utmp":       cmdUtmp,
	"kmsgwrite":  cmdKmsgWrite,
	"countlines": cmdCountLines,
	"longpath":   cmdLongPath,
}

// TestScripts runs testdata/script/*.txtar. Each script gets $S, a short
// directory for unix sockets (sun_path holds 108 bytes; $WORK may be
// longer), removed afterwards.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			d, err := os.MkdirTemp("", "s")
			if err != nil {
				return err
			}
			e.Defer(func() { os.RemoveAll(d) })
			e.Setenv("S", d)
			e.Values[ptysKey{}] = map[string]*pty{}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "kmsg":
				f, err := os.OpenFile("/dev/kmsg", os.O_RDWR, 0)
				if err != nil {
					return false, nil
				}
				f.Close()
				return true, nil
			case "pty":
				f, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
				if err != nil {
					return false, nil
				}
				f.Close()
				return true, nil
			case "ipv6":
				c, err := net.ListenPacket("udp6", "[::1]:0")
				if err != nil {
					return false, nil
				}
				c.Close()
				return true, nil
			case "logger":
				_, err := exec.LookPath("logger")
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: scriptCmds,
	})
}
