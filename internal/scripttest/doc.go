// Package scripttest holds what the testscript commands of cmd/ginetd and
// cmd/gsyslogd share: strict parsing of their arguments, and a way to run
// a script that must fail. Only tests import it.
//
// A command's argument is parsed strictly: a count that is not a number,
// or is below what makes sense (waitlog's COUNT 0 is met by any log), a
// duration that does not parse, a missing argument, each fails the
// script. A lenient parse turns a typo into a check that always passes.
package scripttest
