package input

import (
	"github.com/ginetd/ginetd/internal/syslog/msg"
)

const (
	maxBatchMsgs = 1024      // messages per batch
	arenaSize    = 256 << 10 // bytes of message text per batch
	slots        = 32        // datagrams per recvmmsg call
)

// Batch is the messages one source produced in one drain.
type Batch struct {
	Msgs []msg.Message
	// Remote is true when the messages came from the network; they are
	// then not forwarded again (sysklogd's default, which avoids loops).
	Remote bool
	// Source names the input, for the daemon's own messages.
	Source string

	arena []byte
}

func newBatch(source string, remote bool) *Batch {
	return &Batch{
		Msgs:   make([]msg.Message, 0, maxBatchMsgs),
		Remote: remote,
		Source: source,
		arena:  make([]byte, 0, arenaSize),
	}
}

func (b *Batch) reset() {
	b.Msgs = b.Msgs[:0]
	b.arena = b.arena[:0]
}

// room returns how many more datagrams of up to msg.MaxSize fit.
func (b *Batch) room() int {
	n := min(slots, maxBatchMsgs-len(b.Msgs), (cap(b.arena)-len(b.arena))/msg.MaxSize)
	return max(n, 0)
}

// keep copies p into the batch arena and returns the copy.
func (b *Batch) keep(p []byte) []byte {
	start := len(b.arena)
	b.arena = append(b.arena, p...)
	return b.arena[start:len(b.arena):len(b.arena)]
}

// add parses the datagram p (already cut to msg.MaxSize; its length on the
// wire was size) and appends it. from is the sender's address for UDP.
func (b *Batch) add(p []byte, size int, now msg.Stamp, from []byte) {
	m := msg.Parse(b.keep(p), now)
	if size > len(p) {
		m.Truncated = size
	}
	if !b.Remote {
		m.Host = nil
	} else if m.Host == nil {
		m.Host = b.keep(from)
	}
	if m.Facility() == msg.Kern {
		m.Pri = msg.User<<3 | m.Pri&7
	}
	b.Msgs = append(b.Msgs, m)
}
