package msg

import (
	"strconv"
	"strings"

	"github.com/ginetd/ginetd/daemon"
)

// Facility numbers gsyslogd itself needs, untyped. The facility table
// (numbers and names) is daemon.Facility's; TestNames holds these to it.
const (
	Kern   = 0
	User   = 1
	Syslog = 5

	// NumFacilities is the number of facilities a PRI can carry (0..23).
	NumFacilities = 24
)

// Severity numbers.
const (
	Emerg   = 0
	Alert   = 1
	Crit    = 2
	Err     = 3
	Warning = 4
	Notice  = 5
	Info    = 6
	Debug   = 7

	// NumSeverities is the number of severities (0..7).
	NumSeverities = 8
)

// DefaultPri is the PRI given to a message that carries none or an invalid
// one: user.notice, as RFC 3164 section 4.3.3 and sysklogd do.
const DefaultPri = User<<3 | Notice

// MarkFacility is the number LookupFacility returns for "mark", the
// internal mark facility, which gsyslogd never generates (it is accepted
// so old configs load).
const MarkFacility = NumFacilities

var severityNames = map[string]int{
	"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "err": 3, "error": 3,
	"warning": 4, "warn": 4, "notice": 5, "info": 6, "debug": 7,
}

var severityString = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// LookupFacility returns the number of a facility name of syslog.conf(5),
// in any case: a name daemon.ParseFacility knows, "mark", or a decimal
// number 0..23; ok is false for anything else.
func LookupFacility(name string) (n int, ok bool) {
	if strings.EqualFold(name, "mark") {
		return MarkFacility, true
	}
	f, err := daemon.ParseFacility(name)
	return int(f), err == nil
}

// LookupSeverity returns the number of a severity name or of a decimal
// number 0..7; ok is false for anything else.
func LookupSeverity(name string) (n int, ok bool) {
	if n, ok := severityNames[name]; ok {
		return n, true
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < NumSeverities {
		return n, true
	}
	return 0, false
}

// SeverityName returns the name of severity s, or its number.
func SeverityName(s int) string {
	if s >= 0 && s < len(severityString) {
		return severityString[s]
	}
	return strconv.Itoa(s)
}
