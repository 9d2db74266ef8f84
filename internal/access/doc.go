// Package access holds ginetd's per-connection decisions: who may connect,
// when, and how often. It is pure decision code that the supervisor calls
// on its single event-loop goroutine for every connection, so no value here
// locks, blocks or does DNS on the hot path, and the checks do not allocate
// (see the benchmarks). Addresses are netip.Addr throughout; IPv4-mapped
// IPv6 peers (::ffff:a.b.c.d) are compared as the IPv4 address they carry.
//
// What it owns:
//
//   - Compile: xinetd only_from / no_access token lists (config.Service
//     OnlyFrom, NoAccess) to an AddrMatcher.
//   - ParseTimes: xinetd access_times to Times.
//   - CompileService: both of the above for one config.Service, as a
//     Policy with a FILE:LINE problem list for the loader.
//   - HostsAccess: hosts_access(5), /etc/hosts.allow and /etc/hosts.deny,
//     re-read when they change (stat at most once a second).
//   - Limits, each driven by an injected Clock: Window (spawn rate, inetd
//     -R and .MAX), PerSource (concurrent children per source, xinetd
//     per_source, FreeBSD max-child-per-ip), PerSourceRate (connections per
//     source per minute, FreeBSD max-connections-per-ip-per-minute, NetBSD
//     ip_max), CPS (xinetd cps), Load (xinetd max_load) and Sensor (xinetd
//     SENSOR / deny_time).
//
// What it does not own: config syntax beyond the raw token strings of
// config.Service, sockets, logging, and the order in which the supervisor
// applies the checks. The package never opens a socket; the only I/O is
// reading hosts.allow, hosts.deny and /proc/loadavg, rate-limited by the
// clock.
//
// # No DNS
//
// ginetd does no name lookup per connection. Host names in only_from and
// no_access are resolved once, by Compile, through the Resolver the caller
// passes. xinetd's ".domain" form needs a reverse lookup per connection and
// is not supported: Compile warns and the token matches nothing.
//
// HostsAccess behaves as tcpd does when a client's host name is unknown
// (as tcpdmatch shows for a numeric client): ALL and UNKNOWN match every
// client; KNOWN, LOCAL, PARANOID, ".domain", "@netgroup" and host-name
// patterns never match; "user@host" patterns see the user as unknown (no
// RFC 931 lookup). As in tcpd, a name pattern that matches the word
// "unknown" (e.g. "unknown", "unk*") matches, because tcpd compares it
// against the placeholder name.
package access
