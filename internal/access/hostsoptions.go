package access

import (
	"strings"

	"github.com/ginetd/ginetd/internal/config"
)

// hosts_options(5) option names and whether each needs a value: 1 needs
// one, 0 takes none, -1 may have one.
var hostsOptions = map[string]int{
	"allow": 0, "deny": 0,
	"spawn": 1, "twist": 1, "banners": 1, "severity": 1,
	"user": 1, "group": 1, "umask": 1, "setenv": 1, "linger": 1,
	"keepalive": 0, "nice": -1, "rfc931": -1,
}

// parseOptions reads the option fields of a rule (hosts_options(5)) and
// returns the verdict they force, or 0 to let the file decide.
//
// Only allow and deny act. The other options are tcpd's business (spawn,
// banners, severity, ...): ginetd ignores them and warns. twist replaces
// the daemon under tcpd, so the real service is never run: ginetd treats it
// as deny. A malformed option (unknown name, a missing or unexpected value,
// allow/deny not last) makes tcpd refuse the client when the rule matches,
// and so does ginetd.
func parseOptions(pos config.Pos, s string, probs *config.Problems) int8 {
	fields := splitOptions(s)
	var verdict int8
	bad := false
	for i, f := range fields {
		f = strings.Trim(f, " \t")
		name, value := f, ""
		if j := strings.IndexAny(f, " \t="); j >= 0 {
			name = f[:j]
			value = strings.TrimLeft(f[j:], " \t")
			value = strings.TrimLeft(strings.TrimPrefix(value, "="), " \t")
		}
		name = strings.ToLower(name)
		need, known := hostsOptions[name]
		switch {
		case !known:
			probs.Warnf(pos, "bad option name %q: tcpd refuses clients this rule matches, and so does ginetd", name)
			bad = true
			continue
		case need == 1 && value == "":
			probs.Warnf(pos, "option %q needs a value: tcpd refuses clients this rule matches, and so does ginetd", name)
			bad = true
			continue
		case need == 0 && value != "":
			probs.Warnf(pos, "option %q takes no value: tcpd refuses clients this rule matches, and so does ginetd", name)
			bad = true
			continue
		}
		switch name {
		case "allow", "deny":
			if i != len(fields)-1 {
				probs.Warnf(pos, "option %q must be the last option: tcpd refuses clients this rule matches, and so does ginetd", name)
				bad = true
				continue
			}
			verdict = verdictAllow
			if name == "deny" {
				verdict = verdictDeny
			}
		case "twist":
			probs.Warnf(pos, "option twist is not supported: ginetd refuses clients this rule matches")
			bad = true
		default:
			probs.Warnf(pos, "option %q is ignored by ginetd", name)
		}
	}
	if bad {
		return verdictDeny
	}
	return verdict
}

// splitOptions cuts s at each ':' that is not escaped as "\:".
func splitOptions(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ':':
			cur.WriteByte(':')
			i++
		case s[i] == ':':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}
