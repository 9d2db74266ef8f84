// Package config owns ginetd's configuration model: the immutable Service
// values that the dialect parsers (inetdconf, xinetdconf) produce, the
// positions they carry, the list of problems (errors and warnings) found
// while reading them, and the identity key that decides, at reload, which
// services keep their open socket.
//
// It opens no sockets and makes no system calls; name resolution (users,
// groups, /etc/services, programs) happens in package loader, which turns
// parsed services into a validated *Config.
package config
