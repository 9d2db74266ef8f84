// Package syslog is the gsyslogd daemon proper: it wires the inputs
// (package input), the configuration (package conf) and the sinks (package
// sink) together and owns the running state.
//
// Goroutines, and what each one owns:
//
//   - one reader per input (input.Source.Run): the socket and one batch;
//   - the dispatcher (dispatcher.run): the current table of outputs, every
//     sink and the repetition state of each; it is the only goroutine that
//     writes a log file, and it closes the sinks of a replaced table;
//   - the caller of Run: signals, reload (it parses the configuration and
//     opens the new sinks, then hands the whole table to the dispatcher),
//     and shutdown.
//
// Flow of a message: reader → batch channel → dispatcher: route by PRI
// (a 192-entry table computed from the selectors), format the line once,
// collapse repetitions per output, write; at the end of the batch flush every
// output written (fdatasync for "/file"), then Done, and only then does the
// reader read again. So no datagram is taken from a socket while more than
// one batch of its messages is not yet on disk.
//
// Reload (SIGHUP) is all or nothing: a configuration with any problem, or
// a file that cannot be opened, is reported and the old table stays. At
// start, where there is nothing to fall back to, problems are reported and
// the correct lines are used, as sysklogd does.
package syslog
