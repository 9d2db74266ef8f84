package conf

import "github.com/ginetd/ginetd/internal/config"

// syslog.conf problems are ginetd's configuration problems: a position
// and a message, printed as "FILE:LINE: message". syslog.conf has only
// errors.
type (
	// Pos is a line of a configuration file.
	Pos = config.Pos
	// Problem is one configuration error.
	Problem = config.Problem
	// Problems lists problems in file order.
	Problems = config.Problems
)
