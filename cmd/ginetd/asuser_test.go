package main

import (
	"bytes"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// asuser USER PROG ARGV0 [ARG...]: run PROG (a path any user may execute,
// such as $SVC_ENV, this test binary) as USER and its primary group, with
// argv[0] ARGV0 (ginetd: the ginetd command), and no supplementary
// groups. Like exec, it sets stdout and stderr; with ! it must fail.
func cmdAsUser(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: asuser USER PROG ARGV0 [ARG...]")
	}
	u, err := user.Lookup(args[0])
	ts.Check(err)
	uid, err := strconv.Atoi(u.Uid)
	ts.Check(err)
	gid, err := strconv.Atoi(u.Gid)
	ts.Check(err)
	cmd := &exec.Cmd{Path: args[1], Args: args[2:], Dir: ts.Getenv("WORK")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
	}
	err = cmd.Run()
	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	if neg {
		if err == nil {
			ts.Fatalf("asuser %s: succeeded", args[0])
		}
		return
	}
	ts.Check(err)
}
