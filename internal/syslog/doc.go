// Package syslog is the gsyslogd daemon proper: it wires the inputs
// (package input), the configuration (package conf) and the sinks (package
// sink) together and owns the running state.
//
// Goroutines, and what each one owns:
//
//   - one reader per input (input.Source.Run): its socket and one batch;
//   - the repeat timer: nothing, it calls dispatcher.tick every 10 s;
//   - the caller of Run: signals, reload (it parses the configuration and
//     opens the new sinks, then hands the whole table to the dispatcher),
//     and shutdown.
//
// The dispatcher (the current table, every sink, the repetition state) is
// the one piece of state shared by these goroutines, guarded by a mutex,
// so that a reader writes its own batches without a handoff (see
// dispatcher).
//
// Flow of a message: the reader blocks in recvmmsg(2), drains the socket
// into a batch, then calls dispatcher.handle: route by PRI (a 192-entry
// table computed from the selectors), format the line once, collapse
// repetitions per output, write; at the end of the batch flush every output
// written (fdatasync for "/file"); only then does the reader read again. So
// no datagram is taken from a socket while a message read before it is not
// yet on disk.
//
// Reload (SIGHUP) is all or nothing: a configuration with any problem, or
// a file that cannot be opened, is reported and the old table stays. At
// start, where there is nothing to fall back to, problems are reported and
// the correct lines are used, as sysklogd does.
package syslog
