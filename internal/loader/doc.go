// Package loader turns configuration files into a validated
// *config.Config: it reads each file, detects its dialect (xinetd syntax or
// inetd.conf lines), parses it, resolves every name against this host
// (/etc/services ports, users and groups with their supplementary groups,
// bind addresses, programs) and rejects two services on one address and
// protocol.
//
// It is the single place where "a well-formed entry this host cannot
// serve" is decided: such an entry gets a FILE:LINE warning and is left
// out, and the rest of the configuration runs. Errors (a file that cannot
// be read, a malformed entry, a duplicate) make the whole configuration
// unusable: at start-up ginetd refuses to run, at reload the old
// configuration stays. `ginetd check` prints exactly what Load returns.
//
// Acquire, which the daemon calls after Load and check does not, opens
// and creates what running the configuration needs: log_type files and
// cgroups.
//
// Both run off the supervisor's loop, so that name lookups that may block
// (NSS, DNS for a bind address) and file system work never delay a
// client: every entry reaches the supervisor resolved, its files read
// and opened, and its Apply only swaps entries and opens sockets. Load
// takes a context whose deadline bounds the lookups (ginetd(8),
// -resolve-timeout): a lookup cut short is an error, so a hung resolver
// fails the load rather than hang it or drop the services it could not
// resolve.
package loader
