package daemon

import (
	"fmt"
	"strings"
)

// Facility is a syslog facility code (0 to 23), as in <syslog.h> divided by 8.
// The priority of a message is Facility*8 + severity.
type Facility int

// The syslog facilities of RFC 5424 (table 1) and glibc's <syslog.h>.
// Their names (Facility.String, ParseFacility) are those of glibc's
// facilitynames table for 0 to 11 and 16 to 23. glibc names none of 12 to
// 15; they get the names rsyslog gives them after RFC 5424's
// descriptions: ntp, audit, alert and clock. This is the one facility
// table of ginetd and gsyslogd (syslog.conf(5) selectors use it too).
const (
	Kern     Facility = iota // kernel messages; from a program it means User, as in glibc
	User                     // user-level messages
	Mail                     // mail system
	Daemon                   // system daemons
	Auth                     // security/authorization messages
	Syslog                   // messages generated internally by syslogd
	LPR                      // line printer subsystem
	News                     // network news subsystem
	UUCP                     // UUCP subsystem
	Cron                     // clock daemon
	AuthPriv                 // private security/authorization messages
	FTP                      // FTP daemon
	NTP                      // NTP subsystem
	Audit                    // log audit (LOG_SECURITY, "security", on FreeBSD)
	LogAlert                 // log alert (LOG_CONSOLE, "console", on FreeBSD)
	Clock                    // clock daemon (RFC 5424 note 2; cron on Solaris)
	Local0                   // local use 0
	Local1                   // local use 1
	Local2                   // local use 2
	Local3                   // local use 3
	Local4                   // local use 4
	Local5                   // local use 5
	Local6                   // local use 6
	Local7                   // local use 7
)

var facilityNames = [...]string{
	Kern: "kern", User: "user", Mail: "mail", Daemon: "daemon", Auth: "auth",
	Syslog: "syslog", LPR: "lpr", News: "news", UUCP: "uucp", Cron: "cron",
	AuthPriv: "authpriv", FTP: "ftp", NTP: "ntp", Audit: "audit", LogAlert: "alert",
	Clock: "clock", Local0: "local0", Local1: "local1", Local2: "local2",
	Local3: "local3", Local4: "local4", Local5: "local5", Local6: "local6",
	Local7: "local7",
}

// facilityAliases are the other names syslog.conf(5) and logger(1) accept:
// glibc's deprecated "security" (auth; FreeBSD's security is 13, Audit),
// FreeBSD's "console", and "cron2", the name gsyslogd once gave 15.
var facilityAliases = map[string]Facility{
	"security": Auth,
	"console":  LogAlert,
	"cron2":    Clock,
}

// String returns the facility's syslog.conf name ("daemon", "local0"), or
// "facility(N)" for a value out of range.
func (f Facility) String() string {
	if f >= 0 && int(f) < len(facilityNames) {
		return facilityNames[f]
	}
	return fmt.Sprintf("facility(%d)", int(f))
}

// ParseFacility returns the facility named s: a syslog.conf name such as
// "daemon" or "local3", in any case, optionally with the "LOG_" prefix of
// <syslog.h> ("LOG_DAEMON"), or a number from 0 to 23.
func ParseFacility(s string) (Facility, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	name = strings.TrimPrefix(name, "log_")
	for i, n := range facilityNames {
		if n == name {
			return Facility(i), nil
		}
	}
	if f, ok := facilityAliases[name]; ok {
		return f, nil
	}
	var n int
	if _, err := fmt.Sscanf(name, "%d", &n); err == nil && fmt.Sprint(n) == name && n >= 0 && n < len(facilityNames) {
		return Facility(n), nil
	}
	return 0, fmt.Errorf("parse facility %q: unknown syslog facility", s)
}
