// Package xinetdconf reads xinetd.conf(5) files, ginetd's rich
// configuration format, into config.Service values. It is a pure parser:
// it resolves no names (users, groups, /etc/services, hosts) and checks no
// programs; package loader does that. It reads only the files named by
// include and includedir.
//
// # Grammar
//
// The file is read line by line. A line whose first non-blank character
// is '#' is a comment; blank lines are ignored. Words are separated by
// spaces and tabs (CR, VT and FF count as blanks, so CRLF files read the
// same). There is no quoting. Top-level lines are:
//
//	defaults                  the defaults entry (at most one per file)
//	{
//	    ATTRIBUTE OP VALUE...
//	}
//
//	service NAME              a service entry
//	{
//	    ATTRIBUTE OP VALUE...
//	}
//
//	include FILE              read FILE here
//	includedir DIR            read every file of DIR here
//
// As in xinetd, "{" and "}" stand on lines of their own. ginetd also takes
// "service NAME {" and "defaults {" on one line. A "}" at the end of an
// attribute line is an error (xinetd would read it as a value and swallow
// the next entry). A line that starts a new entry inside an unclosed one
// ends it with an error, so one missing brace gives one message.
//
// OP is "=", "+=" or "-=". White space around it is optional (xinetd
// wants a blank before it). "+=" and "-=" add to and remove from the
// attributes that are sets of values (marked "list" below); the others
// take "=" only, and when one is given twice in an entry the first wins
// and the second draws a warning, as in xinetd. In the defaults entry "="
// on a list adds to it, as in xinetd.
//
// A word that starts with '#' ends the line's values, as a trailing
// comment ("nice = 5 # be kind"), except in server_args and limit_message,
// whose values are taken verbatim (xinetd takes every word as a value).
//
// FILE and DIR are relative to the directory of the file that names them.
// includedir reads the regular files of DIR whose names contain no '.'
// and do not end in '~' (so editor, rpm and dpkg leftovers are skipped),
// in byte order of their names (the C locale); directories are skipped
// silently and other non-regular files with a warning. An include cycle is
// an error. Files that cannot be read are errors.
//
// # Defaults
//
// The attributes of the defaults entry apply to every service, wherever
// the entry stands; the defaults entries of several files add up. A
// service's own setting of an attribute overrides the default; for the
// lists log_on_success, log_on_failure, only_from, no_access, passenv and
// proxy_trusted a service's "+=" and "-=" edit the defaults' list, while
// "=" replaces it. The defaults entry takes only: log_type,
// log_on_success, log_on_failure, only_from, no_access, passenv,
// instances, per_source, cps, max_load, bind, interface, v6only, umask,
// groups, banner, banner_success, banner_fail, mdns, enabled, disabled,
// and ginetd's proxy_trusted, tls_min_version, max_lifetime, kill_grace,
// limit_message, no_new_privs, memory_max, cpu_max and pids_max.
//
//	enabled = ID...    (defaults only, list) only the services with these
//	                   ids run; "enabled =" with no id disables them all
//	disabled = ID...   (defaults only, list) the services with these ids
//	                   do not run
//
// # Service attributes (xinetd.conf(5))
//
// Field names are those of config.Service.
//
//	id = ID            ID; default NAME. Names the service in enabled,
//	                   disabled and logs.
//	type = T...        any of INTERNAL (a built-in, below), UNLISTED (not
//	                   in /etc/services: port is required and PortName is
//	                   the number), TCPMUX and TCPMUXPLUS (an RFC 1078
//	                   sub-service named NAME: TCPMux, TCPMuxPlus; needs
//	                   UNLISTED and protocol tcp, no port). RPC and
//	                   SPECIAL: warning, service skipped.
//	flags = F...       REUSE (Reuse), NODELAY (NoDelay), KEEPALIVE
//	                   (KeepAlive), NOLIBWRAP (NoLibwrap), NAMEINARGS
//	                   (server_args starts with argv[0]), IPv4, IPv6 (see
//	                   Protocol below), SENSOR (Sensor: the service
//	                   discards input and denies its clients every service
//	                   for deny_time; Builtin "discard"; stream only: a
//	                   datagram's source can be forged), NORETRY
//	                   (accepted: ginetd never retries a failed fork).
//	                   INTERCEPT: warning, ignored. IDONLY, LABELED:
//	                   warning, service skipped (without them it would let
//	                   in clients xinetd refuses).
//	disable = yes|no   yes: the service does not run. Problems in a
//	                   disabled service are reported as warnings.
//	socket_type = stream|dgram    SockType. raw, seqpacket: warning,
//	                   service skipped.
//	protocol = tcp|udp with socket_type: either gives the other. Other
//	                   /etc/protocols names: warning, service skipped.
//	wait = yes|no      Wait.
//	user = USER        User (name or number; resolved by the loader).
//	group = GROUP      Group.
//	groups = yes|no    yes: the child gets the user's supplementary
//	                   groups; no (xinetd's default): none (NoGroups).
//	server = PATH      Program, an absolute path.
//	server_args = ARG...  Args is basename(server) followed by ARGs, or,
//	                   with flags NAMEINARGS, the ARGs alone.
//	port = N           Port and PortName, 0-65535 (0: the kernel picks).
//	                   Without it PortName is NAME, a /etc/services name.
//	bind = ADDR        Host: an IP address or a host name. interface is
//	                   another name for it.
//	v6only = yes|no    V6Only (see Protocol).
//	only_from = ADDR...   (list) OnlyFrom: the clients allowed, as raw
//	                   xinetd tokens (addresses, a.b.{c,d} forms,
//	                   net/mask, host and .domain names). Given with no
//	                   value it allows no client (OnlyFromNone).
//	no_access = ADDR...   (list) NoAccess: the clients refused.
//	access_times = hh:mm-hh:mm...   AccessTimes.
//	instances = N|UNLIMITED        MaxChild (UNLIMITED: 0).
//	per_source = N|UNLIMITED       MaxChildPerIP.
//	                   0 refuses every connection: warning, skipped.
//	cps = RATE PAUSE   CPSRate connections per second, then no accepting
//	                   for CPSPause seconds (RATE 0: config.NoLimit).
//	                   Without it the loader applies xinetd's default
//	                   "cps = 50 10" and no spawn rate, unless -R is
//	                   given (config.Service.Defaults).
//	max_load = LOAD    MaxLoad: refuse while the 1-minute load is higher.
//	deny_time = MINUTES|FOREVER|NEVER   DenyTime for SENSOR (FOREVER: -1).
//	nice = N           Nice, -20 to 19 (added to ginetd's own, as nice(2)).
//	umask = OOO        Umask, octal (default -1: ginetd's own).
//	rlimit_as, rlimit_data, rlimit_rss, rlimit_stack, rlimit_files =
//	                   N[K|M]|UNLIMITED;  rlimit_cpu = SECONDS|UNLIMITED
//	                   Rlimits: soft and hard limit both set.
//	env = NAME=VALUE...   (list, no "-=") Env.
//	passenv = NAME...  (list) PassEnv. The child's environment is Env and
//	                   PassEnv only (InheritEnv is false), as in xinetd.
//	redirect = HOST PORT   Redirect "HOST:PORT": ginetd connects there and
//	                   relays; server is then not needed (user still is)
//	                   and ignored. stream and wait = no only.
//	banner, banner_success, banner_fail = FILE   Banner, BannerSuccess,
//	                   BannerFail: sent to the client.
//	log_type = SYSLOG FACILITY [LEVEL] | FILE PATH [SOFT [HARD]]
//	                   LogType; LEVEL defaults to info. The FILE size
//	                   limits draw a warning and are ignored.
//	log_on_success = PID HOST USERID EXIT DURATION TRAFFIC   (list)
//	                   LogOnSuccess; TRAFFIC needs redirect.
//	log_on_failure = HOST USERID ATTEMPT   (list) LogOnFailure.
//	libwrap = NAME     Libwrap: the daemon name for hosts.allow/deny.
//	mdns = yes|no      accepted, does nothing.
//	rpc_version, rpc_number   accepted (RPC services are skipped).
//
// Keywords (type, flags, log options, UNLIMITED, FOREVER, yes/no, SYSLOG,
// facility and level names) are matched without regard to case.
//
// An INTERNAL service is served by ginetd itself: Builtin is NAME when it
// is echo, discard, chargen, daytime, time (stream or dgram) or tcpmux
// (stream), as in xinetd; else NAME or id without a "-stream", "-dgram",
// "-tcp" or "-udp" suffix ("id = daytime-dgram"). xinetd's servers,
// services and xadmin: warning, skipped. user and server are not needed.
//
// Required, as in xinetd: socket_type (or protocol) and wait; user and
// server unless INTERNAL (server not with redirect); port for UNLISTED
// services other than TCPMUX ones. A missing one is an error at the
// service's line.
//
// Protocol: the family is IPv6 with flags IPv6 (or both flags, unless
// bind is an IPv4 address), IPv4 with flags IPv4, else that of an IP
// address in bind, else IPv4, as in xinetd 2.3.15 (2.3.15.4 tries IPv6
// first). An IPv6 service is dual stack (tcp46, udp46) unless v6only =
// yes (tcp6, udp6); an IPv4 one is tcp4 or udp4. A bind address of the
// other family than the flags is an error.
//
// # ginetd's own attributes (not in xinetd)
//
//	proxy_protocol = yes|no   ProxyProtocol: read a PROXY v1/v2 header;
//	                   needs proxy_trusted, stream and wait = no.
//	proxy_trusted = ADDR|CIDR...   (list) ProxyTrusted: the load balancers
//	                   whose headers are believed.
//	tls_cert = PATH, tls_key = PATH   TLSCert, TLSKey: terminate TLS (both
//	                   or neither; stream and wait = no).
//	tls_client_ca = PATH   TLSClientCA: require client certificates.
//	tls_min_version = 1.2|1.3   TLSMinVersion ("TLS1.2" too).
//	max_lifetime = DURATION   MaxLifetime: SIGTERM the child after this.
//	kill_grace = DURATION     KillGrace: then SIGKILL after this.
//	                   DURATION is a Go duration (90s, 1h30m) or seconds.
//	limit_message = TEXT      LimitMessage: the rest of the line, sent to
//	                   a client refused by instances or per_source; \n,
//	                   \r, \t and \\ are interpreted.
//	chroot = PATH             Chroot.
//	no_new_privs = yes|no     NoNewPrivs.
//	memory_max = max|N[K|M|G|T]   MemoryMax (cgroup v2 memory.max, bytes).
//	cpu_max = max|QUOTA [PERIOD]|P%   CPUMax (cgroup v2 cpu.max; "50%" is
//	                   "50000 100000").
//	pids_max = max|N          PidsMax (cgroup v2 pids.max).
//	socket_activation = yes|no   SocketActivation: the socket is also fd 3
//	                   with LISTEN_FDS=1.
//
// # Problems
//
// Every problem is reported, as "FILE:LINE: message", never just the
// first. Errors: unreadable files, include cycles, braces, a line without
// an operator, an unknown attribute ("unknown attribute "foo" in service
// bar"), an attribute not allowed in defaults, a wrong number of values,
// a bad value, a missing required attribute, attributes that contradict
// each other. Warnings: a repeated attribute, a feature that is
// understood but not implemented (said to be "ignored", or "service
// skipped" when the service cannot run right without it), problems in a
// disabled service. Parse returns only the services that should run.
//
// # Example
//
//	defaults
//	{
//		log_type       = SYSLOG daemon info
//		log_on_failure = HOST
//		instances      = 50
//		per_source     = 10
//	}
//
//	service daytime
//	{
//		type        = INTERNAL
//		id          = daytime-stream
//		socket_type = stream
//		wait        = no
//	}
//
//	service rsync
//	{
//		flags          = IPv6
//		socket_type    = stream
//		wait           = no
//		user           = root
//		server         = /usr/bin/rsync
//		server_args    = --daemon
//		log_on_failure += USERID
//		max_lifetime   = 2h
//		limit_message  = too many connections, try later\r\n
//	}
//
//	includedir /etc/xinetd.d
package xinetdconf
