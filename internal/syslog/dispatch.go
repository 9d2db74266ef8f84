package syslog

import (
	"sync"
	"time"

	"github.com/ginetd/ginetd/internal/syslog/input"
	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// dispatcher holds the running table, its sinks and their repetition
// state. It is guarded by one mutex rather than owned by a goroutine, a
// deliberate choice: each input's reader runs its batches through it
// itself, so a message goes from the socket to the file on one thread,
// without a goroutine handoff per batch (which cost more than half of the
// CPU per message in the benchmark). Inputs are few, so the lock is rarely
// contended; reload, the repeat timer and shutdown take it too.
type dispatcher struct {
	mu     sync.Mutex
	host   []byte
	t      *table
	report func(sev int, format string, args ...any) // to stderr only
	closed bool

	now     time.Time
	line    []byte
	line5   []byte    // the RFC 5424 line of the message, made when an output needs it
	written []*output // outputs written in the current batch
}

func newDispatcher(host []byte, t *table, report func(int, string, ...any)) *dispatcher {
	return &dispatcher{host: host, t: t, report: report}
}

// handle writes a batch: route, write, then flush (and sync) every output
// written, before returning to the reader.
func (d *dispatcher) handle(b *input.Batch) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.now = time.Now()
	for i := range b.Msgs {
		d.message(&b.Msgs[i], b.Remote)
	}
	d.flush()
}

// own writes one of the daemon's own messages.
func (d *dispatcher) own(m *msg.Message) {
	d.handle(&input.Batch{Msgs: []msg.Message{*m}})
}

// swap installs t and retires (flushes, closes) the previous table.
func (d *dispatcher) swap(t *table) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.retire()
	d.t = t
}

// tick writes the repetition counts that waited long enough.
func (d *dispatcher) tick(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.now = now
	d.flushRepeats(false)
	d.flush()
}

// close retires the table for good.
func (d *dispatcher) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.retire()
		d.closed = true
	}
}

// message routes m to its outputs.
func (d *dispatcher) message(m *msg.Message, remote bool) {
	outs := d.t.route[m.Pri]
	if len(outs) == 0 {
		return
	}
	d.line = msg.AppendLine(d.line[:0], m, d.host)
	have5 := false
	for _, i := range outs {
		o := d.t.outputs[i]
		if o.forward && remote {
			continue
		}
		if o.collapse {
			if o.hasPrev && msg.Equal(m, &o.prev) {
				o.count++
				o.prev.Stamp = m.Stamp
				o.lastSeen = d.now
				continue
			}
			d.repeated(o)
			o.remember(m)
		}
		if o.rfc5424 {
			if !have5 {
				d.line5 = msg.AppendLine5424(d.line5[:0], m, d.host, d.now)
				have5 = true
			}
			d.write(o, d.line5, m)
			continue
		}
		d.write(o, d.line, m)
	}
}

// repeated writes o's pending "last message repeated N times" line.
func (d *dispatcher) repeated(o *output) {
	if o.count == 0 {
		return
	}
	host := d.host
	if o.prev.Host != nil {
		host = o.prev.Host
	}
	var rep []byte
	if o.rfc5424 {
		rep = msg.AppendRepeated5424(nil, o.prev.Pri, o.prev.Stamp, host, o.count, d.now)
	} else {
		rep = msg.AppendRepeated(nil, o.prev.Stamp, host, o.count)
	}
	o.count = 0
	d.write(o, rep, nil)
}

// flushRepeats writes the pending repetition counts: all of them, or those
// that waited repeatFlush.
func (d *dispatcher) flushRepeats(all bool) {
	for _, o := range d.t.outputs {
		if o.count > 0 && (all || d.now.Sub(o.lastSeen) >= repeatFlush) {
			d.repeated(o)
			o.hasPrev = false // as sysklogd: the next one is written again
		}
	}
}

func (d *dispatcher) write(o *output, line []byte, m *msg.Message) {
	if !o.dirty {
		o.dirty = true
		d.written = append(d.written, o)
	}
	d.check(o, o.sink.Write(line, m))
}

// flush ends a batch: every output written is flushed (and synced).
func (d *dispatcher) flush() {
	for _, o := range d.written {
		o.dirty = false
		d.check(o, o.sink.Flush())
	}
	d.written = d.written[:0]
}

// check reports the first error of a failing output, and its recovery.
// The report goes to stderr only: a message routed to the failing output
// would fail again.
func (d *dispatcher) check(o *output, err error) {
	switch {
	case err != nil && !o.failing:
		o.failing = true
		d.report(msg.Err, "%v (further errors of %s are not reported until it works again)", err, o.name)
	case err == nil && o.failing:
		o.failing = false
		d.report(msg.Notice, "%s works again", o.name)
	}
}

// retire flushes and closes the current table.
func (d *dispatcher) retire() {
	d.flushRepeats(true)
	d.flush()
	if err := d.t.close(); err != nil {
		d.report(msg.Err, "closing outputs: %v", err)
	}
}
