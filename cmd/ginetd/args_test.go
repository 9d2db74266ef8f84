package main

import (
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// TestBadArguments: a command given a bad count, a bad address or a
// missing argument fails the script; it does not pass by checking
// nothing. Parsed leniently, "waitlog log x 0" or "waitlog log x bad"
// waited for zero matches and passed at once.
func TestBadArguments(t *testing.T) {
	const log = "\n-- log --\nmsg=x\n"
	p := testscript.Params{Cmds: scriptCmds}
	if failed, out := scripttest.Fails(t, p, "waitlog log msg=x 1\nwaitlog -t 1s log msg=x"+log); failed {
		t.Fatalf("good arguments failed:\n%s", out)
	}
	for _, tc := range []struct{ script, want string }{
		{"waitlog log msg=x 0", `bad COUNT "0"`},
		{"waitlog log msg=x bad", `bad COUNT "bad"`},
		{"waitlog log msg=x -2", `bad COUNT "-2"`},
		{"waitlog -t soon log msg=x", `bad -t "soon"`},
		{"waitlog log msg=x 1 2", "usage: waitlog"},
		{"lateclient 127.0.0.1:9 log msg=x 0 hi", `bad COUNT "0"`},
		{"sleep", "usage: sleep"},
		{"sleep -1s", `bad DURATION "-1s"`},
		{"hammer 0 127.0.0.1:9", `bad N "0"`},
		{"hammer -c 0 1 127.0.0.1:9", `bad -c "0"`},
		{"hammer 1", "usage: hammer"},
		{"rstdial -n 0 127.0.0.1:9 00", `bad -n "0"`},
		{"dial -src 127.0.0.300 tcp 127.0.0.1:9", `bad -src "127.0.0.300"`},
		{"dial -fill -1 tcp 127.0.0.1:9", `bad -fill "-1"`},
		{"bgdial -src nowhere b tcp 127.0.0.1:9", `bad -src "nowhere"`},
		{"proxyv2 127.0.0.1:9 127.0.0.3 70000", `bad CLIENTPORT "70000"`},
		{"proxyv2 127.0.0.1:9 127.0.0.3", "usage: proxyv2"},
		{"clients start g 0 127.0.0.1:9", `bad N "0"`},
		{"fdload -n 0 x=1", `bad -n "0"`},
		{"fdload -hup 1 x=1", `bad -hup "1"`},
		{"dgmix 127.0.0.1:9 0", `bad ROUNDS "0"`},
		{"clockwin V -1", `bad MIN "-1"`},
		{"freeport", "usage: freeport"},
		{"fds 1", "usage: fds"},
		{"waitlisten 127.0.0.1", "waitlisten:"},
		// Programs the scripts run exit 2 on a bad argument.
		{"exec udpbg soon 127.0.0.1:9", `bad DURATION "soon"`},
		{"exec hammerbg 1s", "usage: hammerbg"},
	} {
		failed, out := scripttest.Fails(t, p, tc.script+log)
		if !failed || !strings.Contains(out, tc.want) {
			t.Errorf("%s: failed=%v, want a failure saying %q; log:\n%s", tc.script, failed, tc.want, out)
		}
	}
}
