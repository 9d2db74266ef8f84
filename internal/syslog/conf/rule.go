package conf

import "github.com/ginetd/ginetd/internal/syslog/msg"

// Kind says what an action does.
type Kind int

// Action kinds.
const (
	File    Kind = iota // append to Path
	Fifo                // write to the named pipe Path
	Forward             // send to Host:Port over UDP
	Wall                // every logged-in user
	Users               // the terminals of Users
)

func (k Kind) String() string {
	return [...]string{"file", "fifo", "forward", "wall", "users"}[k]
}

// Action is the right-hand side of a rule.
type Action struct {
	Kind  Kind
	Path  string   // File, Fifo
	Sync  bool     // File: fsync after each batch ("/file", not "-/file")
	Host  string   // Forward: name or address, without brackets
	Port  string   // Forward: number or service name; "514" by default
	Users []string // Users
	// RFC5424 writes RFC 5424 lines instead of traditional ones (the
	// ";RFC5424" option of sysklogd 2): File, Fifo and Forward.
	RFC5424 bool
}

// Mask holds, per facility, the set of selected severities: bit s of
// Mask[f] is set when severity s of facility f is selected.
type Mask [msg.NumFacilities]uint8

// Match reports whether a message with this PRI is selected.
func (m *Mask) Match(pri uint8) bool { return m[pri>>3]&(1<<(pri&7)) != 0 }

// Rule is one line: which messages go to which action.
type Rule struct {
	Pos    Pos
	Mask   Mask
	Action Action
}

// Config is a parsed configuration file.
type Config struct {
	Rules []Rule
}
