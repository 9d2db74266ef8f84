// Package inetdconf reads inetd.conf files: the positional lines that every
// BSD and Linux inetd reads, and NetBSD's 2021 key-value notation, into
// config.Service values. It is a pure parser: the only files it opens are
// those named by .include. Names (services, users, groups, hosts) are left
// as written for package loader to resolve.
//
// # Positional notation
//
// One entry per line; fields are separated by blanks:
//
//	[ADDR:]SERVICE SOCKTYPE PROTO WAIT USER PROGRAM [ARGV0 ARGS...]
//
//	ADDR      address to bind, before a colon: an IPv4 literal, [IPv6]
//	          (brackets optional), a host name, or * for any. Without it the
//	          default address applies (see ADDR: below).
//	SERVICE   a name from /etc/services or a port number (0: the kernel
//	          picks); for PROTO unix, the absolute socket path.
//	          tcpmux/NAME and tcpmux/+NAME are RFC 1078 sub-services reached
//	          through the tcpmux built-in (with "+", ginetd sends the "+"
//	          reply itself).
//	SOCKTYPE  stream | dgram. NetBSD's stream,N caps the running children
//	          (AcceptMax); NetBSD's SOCKTYPE:FILTER (accept filter) is a
//	          warning. raw, rdm and seqpacket are errors ("unsupported").
//	PROTO     tcp, tcp4 (IPv4) | tcp6 (IPv6 only) | tcp46 (both)
//	          udp, udp4 | udp6 | udp46 | unix.
//	          rpc/tcp and rpc/udp: warning, entry skipped (no Sun RPC).
//	          NetBSD's faith/PROTO and FreeBSD's PROTO/faith: warning.
//	          NetBSD's PROTO,sndbuf=N,rcvbuf=N: warning (not supported).
//	WAIT      wait | nowait, then one of
//	            .MAX or :MAX   spawns per minute (openbsd-inetd, inetutils,
//	                           NetBSD); 0 means no limit (MaxRate
//	                           config.NoLimit)
//	            /MAXCHILD[/MAXCONNPERIPMIN[/MAXCHILDPERIP]]
//	                           FreeBSD: concurrent children, connections per
//	                           source per minute, children per source; 0 = no
//	                           limit
//	USER      user name or uid, then optionally a group:
//	            user          user's uid, primary gid and groups
//	            user:group    ... but gid of group
//	            user.group    the same (old spelling; a user name holding a
//	                          dot must therefore be written user:group)
//	          FreeBSD's /LOGIN-CLASS suffix is accepted and ignored.
//	PROGRAM   absolute path of the program, or "internal" for a built-in:
//	          the built-in named by SERVICE (echo discard chargen daytime
//	          time tcpmux), or, when SERVICE names none (a port number, or
//	          a name of the admin's own), by the word after "internal".
//	          Other built-ins (FreeBSD's auth) are a warning. Words after
//	          "internal" are otherwise ignored.
//	ARGS      argv, starting with argv[0]; without it argv[0] is the
//	          program's base name.
//
// Lines:
//
//   - '#' at the start of a line (after optional blanks) begins a comment
//     line; a '#' anywhere else is an ordinary character, as in OpenBSD and
//     FreeBSD, so "prog # not a comment" passes "#" to prog. NetBSD's "#@
//     POLICY" line sets an IPsec policy: entries after it are skipped with a
//     warning until a bare "#@" clears it.
//   - A line starting with a space or tab continues the entry before it
//     (BSD). Blank-only lines and indented comment lines in between are
//     skipped; an empty line or a line starting in column one ends it. An
//     indented line with no entry to continue (after an empty or a comment
//     line) is read as an entry of its own.
//   - "ADDR:" alone on a line sets the default address for the lines after
//     it (OpenBSD, FreeBSD, NetBSD); "*:" resets it to any. A file reached
//     by .include starts with its includer's default; its changes stay in
//     it.
//   - Single or double quotes group a field holding blanks and are
//     removed (NetBSD): sh -c 'exec foo bar'. There are no escapes.
//   - Too few fields is an error naming the first missing one.
//
// # Key-value notation (NetBSD 2021)
//
// Recognized by "on" or "off" after SERVICE. A definition runs to a
// semicolon and may span lines; several may share a line, which may end
// with a positional entry; '#' starts a comment anywhere outside quotes:
//
//	[ADDR:]SERVICE on|off key = value ..., key = value ...;
//
// Values are separated by blanks and may be quoted with "..." or '...',
// with the escapes \\ \n \t \r \' \" and \xHH. An "off" definition is
// checked for errors and not served. Keys (each at most once):
//
//	bind          address to bind (conflicts with an ADDR: prefix)
//	socktype      stream | dgram; optional when protocol is tcp* or udp*
//	protocol      as PROTO (required); plain tcp/udp become tcp6/udp6 when
//	              the address is an IPv6 literal, else IPv4 (NetBSD
//	              rejects a plain tcp with a wildcard or host-name address;
//	              ginetd takes IPv4, as in the positional notation)
//	wait          yes | no; required except for built-ins, where it
//	              defaults to yes for dgram and no for stream
//	user, group   as USER, but no ":" or "." splitting
//	exec          program path or "internal" (the default)
//	args          argv, starting with argv[0]
//	service_max   spawns per minute (MaxRate; 0 = no limit), as .MAX
//	ip_max        spawns per source address per minute (MaxConnPerIPMin)
//	accept_max    concurrent children, as stream,N (AcceptMax)
//	acceptfilter  warning: accept filters are not supported
//	sndbuf,
//	recvbuf       warning: socket buffer sizes are not supported
//	ipsec         warning when set; "ipsec =" (empty) clears a #@ policy
//
// An unknown key or a syntax error is an error; the definition is then
// skipped up to its semicolon and reading goes on (NetBSD stops reading the
// file).
//
// # Directives
//
//	.include PATH
//
// reads other files (NetBSD; also in files otherwise positional). PATH may
// be quoted, is relative to the including file's directory unless
// absolute, and may hold glob patterns (filepath.Match syntax); matches
// are read in sorted order and a pattern matching nothing is fine. A
// literal PATH that cannot be read, a directory, and an include cycle are
// errors; a directory matched by a pattern is a warning. Words after PATH
// are ignored.
//
// # Problems
//
// Problems carry the file and line of the offending field (the entry's
// first line when no single field is at fault). Errors: a malformed entry,
// unknown socket type, protocol, wait keyword or key, a relative program
// path. Warnings: an entry well formed but not servable by ginetd (RPC,
// unknown built-in, unimplemented NetBSD feature). Either way the entry is
// left out; every problem in the file is reported.
//
// Each Service gets Pos (file:line of the entry's first line), Dialect
// (config.DialectInetd for positional, config.DialectNetBSD for key-value
// entries), InheritEnv true and Umask -1. Name is SERVICE as written
// without ADDR (NAME for tcpmux/NAME, the path for unix); PortName is
// SERVICE for inet services, "tcpmux" for tcpmux sub-services and "" for
// unix ones; Port is left 0 for the loader. Host "" means any address.
//
// # Example
//
//	# daytime over IPv4 and IPv6, built in
//	daytime  stream  tcp   nowait       root      internal
//	daytime  stream  tcp6  nowait       root      internal
//	# a built-in on a port of its own
//	17013    stream  tcp   nowait       root      internal  daytime
//	# only on loopback, at most 10 spawns a minute, run as nobody:nogroup
//	127.0.0.1:finger stream tcp nowait.10 nobody:nogroup /usr/libexec/fingerd fingerd -s
//	# FreeBSD limits: 20 children, 5 connections per source per minute
//	ftp      stream  tcp   nowait/20/5  root      /usr/libexec/ftpd
//	        ftpd -l
//	# from here on, bind 192.0.2.1
//	192.0.2.1:
//	time     dgram   udp   wait         root      internal
//	*:
//	# NetBSD key-value notation
//	echo on protocol = tcp6, user = nobody,
//	        ip_max = 10;  # exec defaults to internal, wait to no
//	.include inetd.d/*.conf
//
// gives, in order: daytime/tcp4 and daytime/tcp6 (Builtin "daytime"),
// 17013/tcp4 (Builtin "daytime"), finger/tcp4 on 127.0.0.1 with MaxRate 10,
// User "nobody", Group "nogroup", Args ["fingerd" "-s"]; ftp/tcp4 with
// MaxChild 20, MaxConnPerIPMin 5, Args ["ftpd" "-l"]; time/udp4 on
// 192.0.2.1, Wait true; echo/tcp6 (Dialect netbsd, Builtin "echo", Wait
// false, MaxConnPerIPMin 10); then the services of inetd.d/*.conf.
package inetdconf
