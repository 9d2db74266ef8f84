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
// is not supported.
//
// # Fail closed
//
// What cannot be resolved or is not known never lets a client past a
// denial. In only_from, a token that stands for no address (a name that
// does not resolve, a .domain) is a warning and matches nothing: fewer
// clients get in. In no_access it is an error, and the loader does not use
// the configuration.
//
// HostsAccess knows no client's host name or user. A pattern that depends
// on one (host names, .domain, KNOWN, UNKNOWN, LOCAL, PARANOID, @netgroup,
// /file, user@host) or a malformed pattern matches "maybe" (see match): a
// rule that maybe matches refuses when it denies and is skipped when it
// allows, the most restrictive of its two possible answers. tcpd, when a
// client's name lookup fails, lets it past such denials instead.
package access
