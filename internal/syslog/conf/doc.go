// Package conf owns the syslog.conf grammar: it turns the text of a
// configuration file into rules, and reports every problem with its
// FILE:LINE. It is pure: it opens no file and resolves no name.
//
// The grammar is the sysklogd/rsyslog legacy one:
//
//	# comment                 (a line whose first non-blank is '#')
//	SELECTORS  ACTION         (separated by blanks: spaces or tabs)
//	... \                     (a line ending in '\' continues on the next one)
//
//	SELECTORS = SELECTOR [";" SELECTOR]...
//	SELECTOR  = FACILITY ["," FACILITY]... "." ["!"]["="] PRIORITY
//	FACILITY  = kern | user | mail | daemon | auth | security | syslog | lpr |
//	            news | uucp | cron | authpriv | ftp | ntp | audit | console |
//	            cron2 | local0..local7 | mark | 0..23 | "*"
//	PRIORITY  = emerg|panic | alert | crit | err|error | warning|warn |
//	            notice | info | debug | 0..7 | "*" | none
//
//	ACTION = /path/file        append, fsync after each batch
//	       | -/path/file       append, no fsync
//	       | @host[:port]      forward (RFC 3164 over UDP, port 514)
//	       | @[v6addr][:port]
//	       | |/path/fifo       write to a named pipe
//	       | *                 every logged-in user's terminal (utmp)
//	       | user[,user]...    those users' terminals
//
// Selectors are applied left to right, each changing the severity mask of
// its facilities as sysklogd does: "fac.pri" adds pri and everything more
// severe, "fac.=pri" adds pri only, "fac.!pri" removes pri and everything
// more severe, "fac.!=pri" removes pri only, and "fac.none" clears the
// facility. So a later selector overrides an earlier one for its own
// facilities: "*.info;mail.none" is everything at info or above but mail.
// "*" as a facility means all 24 facilities ("mark" selects nothing:
// gsyslogd writes no marks).
//
// Example:
//
//	*.info;mail.none;authpriv.none   -/var/log/messages
//	authpriv.*                       /var/log/secure
//	mail.*                           -/var/log/maillog
//	*.emerg                          *
//	local7.*                         @loghost:514
package conf
