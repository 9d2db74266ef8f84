package xinetdconf

import (
	"math"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ginetd/ginetd/internal/config"
)

// attrSpec describes one attribute.
type attrSpec struct {
	// n is the number of values: n > 0 exactly n, n < 0 at least -n,
	// 0 any number.
	n            int
	list         bool   // a set of values: '+=' and '-=' allowed, repeatable
	defaults     bool   // allowed in the defaults entry too
	defaultsOnly bool   // allowed only in the defaults entry
	rest         bool   // a '#' word is part of the value, not a comment
	alias        string // the attribute this one is another name for
	fn           func(st *state, a *attrLine)
}

// attrs is every attribute ginetd knows. The xinetd ones come first, then
// ginetd's own (see doc.go).
var attrs map[string]*attrSpec

func init() {
	attrs = map[string]*attrSpec{
		// xinetd.conf(5)
		"id":             {n: 1, fn: attrID},
		"type":           {n: -1, fn: attrType},
		"flags":          {n: -1, fn: attrFlags},
		"disable":        {n: 1, fn: attrDisable},
		"socket_type":    {n: 1, fn: attrSocketType},
		"protocol":       {n: 1, fn: attrProtocol},
		"wait":           {n: 1, fn: attrWait},
		"user":           {n: 1, fn: func(st *state, a *attrLine) { st.svc.User = a.values[0] }},
		"group":          {n: 1, fn: func(st *state, a *attrLine) { st.svc.Group = a.values[0] }},
		"server":         {n: 1, fn: attrServer},
		"server_args":    {n: -1, rest: true, fn: func(st *state, a *attrLine) { st.serverArgs = a.values }},
		"port":           {n: 1, fn: attrPort},
		"rpc_version":    {n: 1, fn: func(*state, *attrLine) {}},
		"rpc_number":     {n: 1, fn: func(*state, *attrLine) {}},
		"bind":           {n: 1, defaults: true, fn: attrBind},
		"interface":      {n: 1, defaults: true, alias: "bind", fn: attrBind},
		"v6only":         {n: 1, defaults: true, fn: attrV6Only},
		"only_from":      {list: true, defaults: true, fn: attrAddrList},
		"no_access":      {list: true, defaults: true, fn: attrAddrList},
		"access_times":   {n: -1, fn: attrAccessTimes},
		"instances":      {n: 1, defaults: true, fn: attrInstances},
		"per_source":     {n: 1, defaults: true, fn: attrInstances},
		"cps":            {n: 2, defaults: true, fn: attrCPS},
		"max_load":       {n: 1, defaults: true, fn: attrMaxLoad},
		"deny_time":      {n: 1, fn: attrDenyTime},
		"nice":           {n: 1, fn: attrNice},
		"umask":          {n: 1, defaults: true, fn: attrUmask},
		"groups":         {n: 1, defaults: true, fn: attrGroups},
		"env":            {list: true, fn: attrEnv},
		"passenv":        {list: true, defaults: true, fn: attrPassEnv},
		"redirect":       {n: 2, fn: attrRedirect},
		"banner":         {n: 1, defaults: true, fn: func(st *state, a *attrLine) { st.svc.Banner = a.values[0] }},
		"banner_success": {n: 1, defaults: true, fn: func(st *state, a *attrLine) { st.svc.BannerSuccess = a.values[0] }},
		"banner_fail":    {n: 1, defaults: true, fn: func(st *state, a *attrLine) { st.svc.BannerFail = a.values[0] }},
		"log_type":       {n: -1, defaults: true, fn: attrLogType},
		"log_on_success": {list: true, defaults: true, fn: attrLogOn},
		"log_on_failure": {list: true, defaults: true, fn: attrLogOn},
		"rlimit_as":      {n: 1, fn: attrRlimit},
		"rlimit_cpu":     {n: 1, fn: attrRlimit},
		"rlimit_data":    {n: 1, fn: attrRlimit},
		"rlimit_rss":     {n: 1, fn: attrRlimit},
		"rlimit_stack":   {n: 1, fn: attrRlimit},
		"rlimit_files":   {n: 1, fn: attrRlimit},
		"libwrap":        {n: 1, fn: func(st *state, a *attrLine) { st.svc.Libwrap = a.values[0] }},
		"mdns":           {n: 1, defaults: true, fn: func(st *state, a *attrLine) { st.yesNo(a) }},
		"enabled":        {list: true, defaultsOnly: true, fn: attrEnabled},
		"disabled":       {list: true, defaultsOnly: true, fn: attrEnabled},

		// ginetd's own (ginetd.conf(5)).
		"proxy_protocol":    {n: 1, fn: attrBool(func(s *config.Service, v bool) { s.ProxyProtocol = v })},
		"proxy_trusted":     {list: true, defaults: true, fn: attrProxyTrusted},
		"tls_cert":          {n: 1, fn: attrPath(func(s *config.Service, v string) { s.TLSCert = v })},
		"tls_key":           {n: 1, fn: attrPath(func(s *config.Service, v string) { s.TLSKey = v })},
		"tls_client_ca":     {n: 1, fn: attrPath(func(s *config.Service, v string) { s.TLSClientCA = v })},
		"tls_min_version":   {n: 1, defaults: true, fn: attrTLSMinVersion},
		"max_lifetime":      {n: 1, defaults: true, fn: attrDuration},
		"kill_grace":        {n: 1, defaults: true, fn: attrDuration},
		"limit_message":     {rest: true, defaults: true, fn: attrLimitMessage},
		"chroot":            {n: 1, fn: attrPath(func(s *config.Service, v string) { s.Chroot = v })},
		"no_new_privs":      {n: 1, defaults: true, fn: attrBool(func(s *config.Service, v bool) { s.NoNewPrivs = v })},
		"memory_max":        {n: 1, defaults: true, fn: attrMemoryMax},
		"cpu_max":           {n: -1, defaults: true, fn: attrCPUMax},
		"pids_max":          {n: 1, defaults: true, fn: attrPidsMax},
		"socket_activation": {n: 1, fn: attrBool(func(s *config.Service, v bool) { s.SocketActivation = v })},
	}
}

func attrID(st *state, a *attrLine) { st.svc.ID = a.values[0] }

// Values of type and flags.
var (
	serviceTypes = []string{"RPC", "INTERNAL", "UNLISTED", "SPECIAL", "TCPMUX", "TCPMUXPLUS"}
	serviceFlags = []string{"REUSE", "INTERCEPT", "NORETRY", "IDONLY", "NAMEINARGS", "NODELAY",
		"KEEPALIVE", "NOLIBWRAP", "SENSOR", "IPv4", "IPv6", "LABELED"}
)

// keyword finds s in list, ignoring case, and returns the list's spelling.
func keyword(list []string, s string) (string, bool) {
	for _, k := range list {
		if strings.EqualFold(k, s) {
			return k, true
		}
	}
	return "", false
}

func attrType(st *state, a *attrLine) {
	for _, v := range a.values {
		k, ok := keyword(serviceTypes, v)
		if !ok {
			st.bad(a, v, strings.Join(serviceTypes, ", "))
			continue
		}
		st.types[k] = true
	}
}

func attrFlags(st *state, a *attrLine) {
	for _, v := range a.values {
		k, ok := keyword(serviceFlags, v)
		if !ok {
			st.bad(a, v, "a flag of xinetd.conf(5)")
			continue
		}
		st.flags[k] = true
	}
}

func attrDisable(st *state, a *attrLine) {
	if v, ok := st.yesNo(a); ok {
		st.disable = v
	}
}

func attrSocketType(st *state, a *attrLine) {
	switch v := strings.ToLower(a.values[0]); v {
	case "stream", "dgram", "raw", "seqpacket":
		st.socketType = v
	default:
		st.bad(a, a.values[0], "stream or dgram")
	}
}

// otherProtocols are /etc/protocols names that are well formed but that
// ginetd cannot serve.
var otherProtocols = []string{"ip", "icmp", "igmp", "ggp", "ipencap", "st", "egp", "igp", "pup",
	"hmp", "xns-idp", "rdp", "iso-tp4", "dccp", "xtp", "ddp", "idpr-cmtp", "ipv6", "ipv6-route",
	"ipv6-frag", "idrp", "rsvp", "gre", "esp", "ah", "skip", "ipv6-icmp", "ipv6-nonxt",
	"ipv6-opts", "rspf", "vmtp", "eigrp", "ospf", "ax.25", "ipip", "etherip", "encap", "pim",
	"ipcomp", "vrrp", "l2tp", "isis", "sctp", "fc", "mobility-header", "udplite", "mpls-in-ip",
	"manet", "hip", "shim6", "wesp", "rohc", "ethernet", "raw"}

func attrProtocol(st *state, a *attrLine) {
	v := strings.ToLower(a.values[0])
	switch {
	case v == "tcp" || v == "udp":
		st.protocol = v
	case contains(otherProtocols, v):
		st.protocol = v
	default:
		st.bad(a, a.values[0], "tcp or udp")
	}
}

func attrWait(st *state, a *attrLine) {
	if v, ok := st.yesNo(a); ok {
		st.svc.Wait = v
	}
}

func attrServer(st *state, a *attrLine) {
	v := a.values[0]
	if !filepath.IsAbs(v) {
		st.errorf(a.pos, "server %q in %s must be an absolute path", v, st.where)
		return
	}
	st.svc.Program = v
}

// parsePort parses a port number, 0 to 65535.
func parsePort(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= 65535
}

func attrPort(st *state, a *attrLine) {
	n, ok := parsePort(a.values[0])
	if !ok {
		st.bad(a, a.values[0], "a port number from 0 to 65535")
		return
	}
	st.svc.Port = n
	st.svc.PortName = strconv.Itoa(n)
}

func attrBind(st *state, a *attrLine) {
	v := a.values[0]
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = v[1 : len(v)-1]
	}
	if v == "" || strings.ContainsAny(v, "/[]") {
		st.bad(a, a.values[0], "an IP address or host name")
		return
	}
	st.svc.Host = v
}

func attrV6Only(st *state, a *attrLine) {
	if v, ok := st.yesNo(a); ok {
		st.v6only = &v
	}
}

func attrGroups(st *state, a *attrLine) {
	if v, ok := st.yesNo(a); ok {
		st.groups = &v
	}
}

func attrAddrList(st *state, a *attrLine) {
	for _, v := range a.values {
		if strings.Contains(v, ",") && !strings.Contains(v, "{") {
			st.errorf(a.pos, "address %q in %s of %s has a comma in it: separate addresses with spaces", v, a.name, st.where)
			return
		}
		if strings.Count(v, "{") != strings.Count(v, "}") {
			st.bad(a, v, "an address, a network, a host or domain name")
			return
		}
	}
	if a.name == "only_from" {
		st.svc.OnlyFrom = editList(st.svc.OnlyFrom, a.op, a.values)
		if len(st.svc.OnlyFrom) == 0 {
			// Given but empty: xinetd then refuses every client.
			st.svc.OnlyFrom = []string{}
			st.svc.OnlyFromNone = true
		} else {
			st.svc.OnlyFromNone = false
		}
	} else {
		st.svc.NoAccess = editList(st.svc.NoAccess, a.op, a.values)
	}
}

// validInterval reports whether s is hh:mm-hh:mm.
func validInterval(s string) bool {
	from, to, ok := strings.Cut(s, "-")
	return ok && validClock(from) && validClock(to)
}

func validClock(s string) bool {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	return err1 == nil && err2 == nil && hh >= 0 && hh <= 23 && mm >= 0 && mm <= 59 && h[0] != '+' && h[0] != '-' && m[0] != '+' && m[0] != '-'
}

func attrAccessTimes(st *state, a *attrLine) {
	for _, v := range a.values {
		if !validInterval(v) {
			st.bad(a, v, "hh:mm-hh:mm")
			return
		}
	}
	st.svc.AccessTimes = append([]string(nil), a.values...)
}

// count parses a non-negative count or UNLIMITED (returned as 0).
func count(s string) (int, bool) {
	if strings.EqualFold(s, "UNLIMITED") {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

func attrInstances(st *state, a *attrLine) {
	n, ok := count(a.values[0])
	if !ok {
		st.bad(a, a.values[0], "a number or UNLIMITED")
		return
	}
	if n == 0 && !strings.EqualFold(a.values[0], "UNLIMITED") {
		// xinetd then refuses every connection.
		st.skipf(a.pos, "%s = 0 in %s refuses every connection", a.name, st.where)
		return
	}
	if a.name == "instances" {
		st.svc.MaxChild = n
	} else {
		st.svc.MaxChildPerIP = n
	}
}

func attrCPS(st *state, a *attrLine) {
	rate, err1 := strconv.ParseUint(a.values[0], 10, 31)
	pause, err2 := strconv.ParseUint(a.values[1], 10, 31)
	if err1 != nil || err2 != nil {
		st.bad(a, a.values[0]+" "+a.values[1], "connections per second and a pause in seconds")
		return
	}
	st.svc.CPSRate = config.Rate(int(rate)) // cps = 0 N: no limit
	st.svc.CPSPause = time.Duration(pause) * time.Second
}

func attrMaxLoad(st *state, a *attrLine) {
	f, err := strconv.ParseFloat(a.values[0], 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		st.bad(a, a.values[0], "a load average above 0")
		return
	}
	st.svc.MaxLoad = f
}

func attrDenyTime(st *state, a *attrLine) {
	v := a.values[0]
	switch strings.ToUpper(v) {
	case "FOREVER":
		st.svc.DenyTime = -1
		return
	case "NEVER":
		st.svc.DenyTime = 0
		return
	}
	n, err := strconv.ParseUint(v, 10, 31)
	if err != nil {
		st.bad(a, v, "minutes, FOREVER or NEVER")
		return
	}
	st.svc.DenyTime = time.Duration(n) * time.Minute
}

func attrNice(st *state, a *attrLine) {
	n, err := strconv.Atoi(a.values[0])
	if err != nil || n < -20 || n > 19 {
		st.bad(a, a.values[0], "a number from -20 to 19")
		return
	}
	st.svc.Nice = n
}

func attrUmask(st *state, a *attrLine) {
	n, err := strconv.ParseUint(a.values[0], 8, 32)
	if err != nil || n > 0o777 {
		st.bad(a, a.values[0], "an octal number from 0 to 777")
		return
	}
	st.svc.Umask = int(n)
}

func attrEnv(st *state, a *attrLine) {
	if a.op == opDel {
		st.errorf(a.pos, "operator \"-=\" cannot be used for attribute \"env\" in %s", st.where)
		return
	}
	for _, v := range a.values {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			st.bad(a, v, "NAME=VALUE")
			return
		}
	}
	if a.op == opSet {
		st.svc.Env = nil
	}
	st.svc.Env = append(st.svc.Env, a.values...)
}

func attrPassEnv(st *state, a *attrLine) {
	for _, v := range a.values {
		if strings.Contains(v, "=") {
			st.bad(a, v, "an environment variable name")
			return
		}
	}
	st.svc.PassEnv = editList(st.svc.PassEnv, a.op, a.values)
}

func attrRedirect(st *state, a *attrLine) {
	host, port := a.values[0], a.values[1]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if n, err := strconv.Atoi(port); err == nil && (n <= 0 || n > 65535) {
		st.bad(a, port, "a port number from 1 to 65535 or a service name")
		return
	}
	if host == "" || port == "" {
		st.bad(a, a.rest, "HOST PORT")
		return
	}
	st.redirect = [2]string{host, port}
}

// Syslog names (xinetd's lists).
var (
	syslogFacilities = []string{"daemon", "auth", "authpriv", "user", "mail", "lpr", "news", "uucp",
		"ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	syslogLevels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
)

func attrLogType(st *state, a *attrLine) {
	v := a.values
	switch strings.ToUpper(v[0]) {
	case "SYSLOG":
		if len(v) < 2 || len(v) > 3 {
			st.errorf(a.pos, "log_type SYSLOG needs a facility and an optional level in %s", st.where)
			return
		}
		f, ok := keyword(syslogFacilities, v[1])
		if !ok {
			st.bad(a, v[1], "a syslog facility: "+strings.Join(syslogFacilities, ", "))
			return
		}
		lvl := "info"
		if len(v) == 3 {
			if lvl, ok = keyword(syslogLevels, v[2]); !ok {
				st.bad(a, v[2], "a syslog level: "+strings.Join(syslogLevels, ", "))
				return
			}
		}
		st.svc.LogType = &config.LogType{Facility: f, Level: lvl}
	case "FILE":
		if len(v) < 2 || len(v) > 4 {
			st.errorf(a.pos, "log_type FILE needs a path and optional soft and hard limits in %s", st.where)
			return
		}
		if !filepath.IsAbs(v[1]) {
			st.errorf(a.pos, "log_type FILE %q in %s must be an absolute path", v[1], st.where)
			return
		}
		if len(v) > 2 {
			soft, ok1 := sizeLimit(v[2])
			hard, ok2 := soft, true
			if len(v) == 4 {
				hard, ok2 = sizeLimit(v[3])
			}
			if !ok1 || !ok2 || hard < soft {
				st.bad(a, strings.Join(v[2:], " "), "soft [hard] sizes, hard not below soft")
				return
			}
			st.warnf(a.pos, "log_type FILE size limits are not implemented; ignored in %s", st.where)
		}
		st.svc.LogType = &config.LogType{File: v[1]}
	default:
		st.bad(a, v[0], "SYSLOG or FILE")
	}
}

// Log option names (xinetd's lists).
var (
	successOptions = []string{"PID", "HOST", "USERID", "EXIT", "DURATION", "TRAFFIC"}
	failureOptions = []string{"HOST", "USERID", "ATTEMPT"}
)

func attrLogOn(st *state, a *attrLine) {
	opts, list := successOptions, &st.svc.LogOnSuccess
	if a.name == "log_on_failure" {
		opts, list = failureOptions, &st.svc.LogOnFailure
	}
	vals := make([]string, 0, len(a.values))
	for _, v := range a.values {
		k, ok := keyword(opts, v)
		if !ok {
			st.bad(a, v, strings.Join(opts, ", "))
			return
		}
		vals = append(vals, k)
	}
	*list = editList(*list, a.op, vals)
	if *list == nil {
		*list = []string{}
	}
}

// sizeLimit parses a number with an optional K or M suffix (xinetd's
// get_limit).
func sizeLimit(s string) (uint64, bool) {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "k") || strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m") || strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return 0, false
	}
	return n * mult, true
}

func attrRlimit(st *state, a *attrLine) {
	res, ok := rlimitResource[a.name]
	if !ok {
		st.skipf(a.pos, "%s is not supported on this system in %s", a.name, st.where)
		return
	}
	v := a.values[0]
	var n uint64
	switch {
	case strings.EqualFold(v, "UNLIMITED"):
		n = ^uint64(0)
	case a.name == "rlimit_cpu":
		var err error
		if n, err = strconv.ParseUint(v, 10, 64); err != nil {
			st.bad(a, v, "seconds or UNLIMITED")
			return
		}
	default:
		if n, ok = sizeLimit(v); !ok {
			st.bad(a, v, "a number with an optional K or M suffix, or UNLIMITED")
			return
		}
	}
	rl := config.Rlimit{Resource: res, Cur: n, Max: n}
	for i, r := range st.svc.Rlimits {
		if r.Resource == res {
			st.svc.Rlimits[i] = rl
			return
		}
	}
	st.svc.Rlimits = append(st.svc.Rlimits, rl)
}

func attrEnabled(st *state, a *attrLine) {
	if a.name == "enabled" {
		st.enabled = editList(st.enabled, a.op, a.values)
		st.enabledSet = true
	} else {
		st.disabledL = editList(st.disabledL, a.op, a.values)
	}
}

func attrBool(set func(*config.Service, bool)) func(*state, *attrLine) {
	return func(st *state, a *attrLine) {
		if v, ok := st.yesNo(a); ok {
			set(st.svc, v)
		}
	}
}

func attrPath(set func(*config.Service, string)) func(*state, *attrLine) {
	return func(st *state, a *attrLine) {
		if !filepath.IsAbs(a.values[0]) {
			st.errorf(a.pos, "%s %q in %s must be an absolute path", a.name, a.values[0], st.where)
			return
		}
		set(st.svc, a.values[0])
	}
}

func attrProxyTrusted(st *state, a *attrLine) {
	for _, v := range a.values {
		if _, err := netip.ParsePrefix(v); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(v); err == nil {
			continue
		}
		st.bad(a, v, "an IP address or CIDR prefix")
		return
	}
	st.svc.ProxyTrusted = editList(st.svc.ProxyTrusted, a.op, a.values)
}

func attrTLSMinVersion(st *state, a *attrLine) {
	v := strings.ToLower(a.values[0])
	v = strings.TrimPrefix(strings.TrimPrefix(v, "tls"), "v")
	switch v {
	case "1.2", "1.3":
		st.svc.TLSMinVersion = v
	default:
		st.bad(a, a.values[0], "1.2 or 1.3")
	}
}

// duration parses a Go duration or a whole number of seconds.
func duration(s string) (time.Duration, bool) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

func attrDuration(st *state, a *attrLine) {
	d, ok := duration(a.values[0])
	if !ok || (a.name == "max_lifetime" && d == 0) {
		st.bad(a, a.values[0], "a duration such as 90s or 1h30m, or seconds")
		return
	}
	if a.name == "max_lifetime" {
		st.svc.MaxLifetime = d
	} else {
		st.svc.KillGrace = d
	}
}

func attrLimitMessage(st *state, a *attrLine) {
	if a.op != opSet {
		st.errorf(a.pos, "operator %q cannot be used for attribute %q in %s", a.op, a.name, st.where)
		return
	}
	msg, ok := unescape(a.rest)
	if !ok {
		st.bad(a, a.rest, `text with only the escapes \n, \r, \t and \\`)
		return
	}
	st.svc.LimitMessage = msg
}

// unescape interprets \n, \r, \t and \\ in s.
func unescape(s string) (string, bool) {
	if !strings.Contains(s, `\`) {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			return "", false
		}
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '\\':
			b.WriteByte('\\')
		default:
			return "", false
		}
	}
	return b.String(), true
}

// cgroupSize parses "max" or a byte count with an optional K, M, G or T
// suffix, as memory.max takes it, and returns it in bytes.
func cgroupSize(s string) (string, bool) {
	if s == "max" {
		return s, true
	}
	mult := uint64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return "", false
	}
	return strconv.FormatUint(n*mult, 10), true
}

func attrMemoryMax(st *state, a *attrLine) {
	v, ok := cgroupSize(a.values[0])
	if !ok {
		st.bad(a, a.values[0], "max or bytes with an optional K, M, G or T suffix")
		return
	}
	st.svc.MemoryMax = v
}

// attrCPUMax takes cpu.max's "QUOTA [PERIOD]" (microseconds, QUOTA may be
// max) or a percentage of one CPU, "50%".
func attrCPUMax(st *state, a *attrLine) {
	v := a.values
	const want = "max, QUOTA [PERIOD] in microseconds, or a percentage such as 50%"
	if len(v) > 2 {
		st.bad(a, a.rest, want)
		return
	}
	if len(v) == 1 && strings.HasSuffix(v[0], "%") {
		pct, err := strconv.ParseUint(strings.TrimSuffix(v[0], "%"), 10, 16)
		if err != nil || pct == 0 {
			st.bad(a, v[0], want)
			return
		}
		st.svc.CPUMax = strconv.FormatUint(pct*1000, 10) + " 100000"
		return
	}
	if q, err := strconv.ParseUint(v[0], 10, 32); v[0] != "max" && (err != nil || q == 0) {
		st.bad(a, a.rest, want)
		return
	}
	if len(v) == 2 {
		if p, err := strconv.ParseUint(v[1], 10, 32); err != nil || p < 1000 || p > 1000000 {
			st.bad(a, a.rest, want)
			return
		}
	}
	st.svc.CPUMax = strings.Join(v, " ")
}

func attrPidsMax(st *state, a *attrLine) {
	v := a.values[0]
	if n, err := strconv.ParseUint(v, 10, 32); v != "max" && (err != nil || n == 0) {
		st.bad(a, v, "max or a number above 0")
		return
	}
	st.svc.PidsMax = v
}
