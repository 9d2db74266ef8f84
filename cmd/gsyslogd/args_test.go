package main

import (
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ginetd/ginetd/internal/scripttest"
)

// TestBadArguments: a command given a bad count or a missing argument
// fails the script; it does not pass by checking nothing. Each script
// would pass (or panic) with the argument parsed leniently: the file
// holds one matching line, which a count of 0 or "x" is met by.
func TestBadArguments(t *testing.T) {
	const file = "\n-- f --\nmatch\n"
	p := testscript.Params{Cmds: scriptCmds}
	if failed, log := scripttest.Fails(t, p, "waitfile f match 1\ncountlines f match 1"+file); failed {
		t.Fatalf("good arguments failed:\n%s", log)
	}
	for _, tc := range []struct{ script, want string }{
		{"waitfile f match 0", `bad N "0"`},
		{"waitfile f match x", `bad N "x"`},
		{"countlines f match -1", `bad N "-1"`},
		{"countlines f match", "usage: countlines"},
		{"send -size 8 f", `bad -size "8"`},
		{"send -size 100 -count 0 f", `bad -count "0"`},
		{"send -size", "usage: send -size"},
		{"gosyslog f 192 tag text", `bad PRI "192"`},
		{"longpath V /tmp 3", `bad LEN "3"`},
	} {
		failed, log := scripttest.Fails(t, p, tc.script+file)
		if !failed || !strings.Contains(log, tc.want) {
			t.Errorf("%s: failed=%v, want a failure saying %q; log:\n%s", tc.script, failed, tc.want, log)
		}
	}
}
