// Package daemon lets a Go program behave as a well-behaved Unix daemon: the
// daemon_init and daemon_inetd of W. Richard Stevens' UNIX Network
// Programming, chapter 13, plus what systemd added since. It imports only
// the standard library and golang.org/x/sys.
//
// # Detaching: Daemonize
//
// A C daemon forks, calls setsid, forks again, changes to "/", sets the umask
// and closes its descriptors. A Go program cannot fork without exec: the
// runtime's threads do not survive fork. Daemonize therefore re-executes the
// program (/proc/self/exe, same arguments, a marker variable in the
// environment) twice:
//
//	original process ──exec, setsid──▶ stage 1 (session leader) ──exec──▶ stage 2: the daemon
//	      ▲                                                                        │
//	      └────────────── readiness pipe: "ready" or "fail MESSAGE" ───────────────┘
//
// Stage 1 is started in a new session with Setsid, so it has no controlling
// terminal. It does nothing but start stage 2 and exit, from the package's
// init function, before main runs. Stage 2, the daemon, is a member of that
// session but not its leader, so opening a terminal can never make it the
// daemon's controlling terminal: this is the book's second fork. It has the
// working directory Options.Dir ("/"), the umask Options.Umask, fds 0, 1
// and 2 on /dev/null, and no other inherited fd: the original process marks
// every fd from 3 up close-on-exec before it starts stage 1. We chose a
// second exec over a single setsid'd exec (which would leave the daemon a
// session leader, able to acquire a terminal by opening one without
// O_NOCTTY) because it matches daemon_init exactly, for the cost of one
// extra program start.
//
// The original process stays until the daemon reports: Ready makes it exit
// 0, Fail makes it print the error and exit 1, and so does the daemon
// exiting before either. A shell script or an init system that starts the
// program thus learns whether it started, and only after it is ready to
// serve (its sockets bound), as a Type=forking service expects.
//
// The marker, _GO_DAEMON_STAGE, is removed from the environment at once, so
// the daemon's own children never see it. The program's code before the
// Daemonize call runs twice, in the original process and in the daemon
// (stage 1 stops in init); keep it to argument checking, so that usage
// errors still reach the terminal. The daemon's parent is init (or the
// nearest subreaper) once stage 1 has exited. Sockets passed by socket
// activation are not carried over: under systemd or another supervisor,
// do not daemonize at all, but run in the foreground with Type=notify and
// call Ready.
//
// # Readiness and systemd
//
// Notify speaks sd_notify(3); Ready, Fail, Reloading, Stopping and Watchdog
// send its common states. Listeners, ListenersWithNames, PacketConns and
// Files take sockets passed by socket activation (LISTEN_FDS).
//
// # Run by an inetd: InetdConn
//
// InetdConn, InetdPacketConn and InetdListener take the socket that a
// super-server (inetd, xinetd, ginetd, systemd-socket-activate --inetd)
// placed on fd 0, as daemon_inetd does. See InetdConn for the sharing of
// fd 0's file description.
//
// # Logging: Logger
//
// Logger returns a *slog.Logger that writes to the local syslog daemon in
// the format of syslog(3), with the behaviours of openlog's LOG_PID,
// LOG_CONS, LOG_PERROR and LOG_NDELAY. It never fails and never blocks for
// long (with NoWait, not at all): without a syslog daemon, or with one that
// does not keep up, it drops messages, says so once, retries, and reports
// how many were lost when syslog is back. %m is the text of an error
// attribute, or Errno.
//
// # PID files
//
// OpenPIDFile writes and locks a PID file, so that a second instance of a
// daemon refuses to start while a stale file left by a killed one is
// replaced.
package daemon
