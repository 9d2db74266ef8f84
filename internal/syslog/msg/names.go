package msg

import "strconv"

// Facility numbers (RFC 5424 table 1 and glibc <syslog.h>).
const (
	Kern     = 0
	User     = 1
	Mail     = 2
	Daemon   = 3
	Auth     = 4
	Syslog   = 5
	Lpr      = 6
	News     = 7
	UUCP     = 8
	Cron     = 9
	AuthPriv = 10
	FTP      = 11
	Local0   = 16
	Local7   = 23

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

// facilityNames maps config names to numbers. "security" is the old name of
// auth; "mark" is the internal mark facility, which gsyslogd never
// generates (it is accepted so old configs load).
var facilityNames = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "security": 4,
	"syslog": 5, "lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10,
	"ftp": 11, "ntp": 12, "audit": 13, "console": 14, "cron2": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
	"mark": MarkFacility,
}

// MarkFacility is the number LookupFacility returns for "mark".
const MarkFacility = NumFacilities

var severityNames = map[string]int{
	"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "err": 3, "error": 3,
	"warning": 4, "warn": 4, "notice": 5, "info": 6, "debug": 7,
}

var facilityString = [...]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "audit", "console", "cron2",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

var severityString = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// LookupFacility returns the number of a facility name or of a decimal
// number 0..23; ok is false for anything else.
func LookupFacility(name string) (n int, ok bool) {
	if n, ok := facilityNames[name]; ok {
		return n, true
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < NumFacilities {
		return n, true
	}
	return 0, false
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

// FacilityName returns the name of facility f, or its number.
func FacilityName(f int) string {
	if f >= 0 && f < len(facilityString) {
		return facilityString[f]
	}
	return strconv.Itoa(f)
}

// SeverityName returns the name of severity s, or its number.
func SeverityName(s int) string {
	if s >= 0 && s < len(severityString) {
		return severityString[s]
	}
	return strconv.Itoa(s)
}
