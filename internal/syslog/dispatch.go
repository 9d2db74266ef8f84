package syslog

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ginetd/ginetd/internal/syslog/input"
	"github.com/ginetd/ginetd/internal/syslog/msg"
	"github.com/ginetd/ginetd/internal/syslog/sink"
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

	pid      []byte        // of gsyslogd, for its own messages
	notices  []msg.Message // outputs' failures and recoveries, to log after the batch
	noticing bool          // in the last round of notices: a further one goes to stderr only
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
	d.writeNotices()
}

// own writes one of the daemon's own messages.
func (d *dispatcher) own(m *msg.Message) {
	d.handle(&input.Batch{Msgs: []msg.Message{*m}})
}

// swap installs t and retires (flushes, closes) the previous table. An
// output of t with the name of a failing one goes on failing, with its
// count, until a batch goes through: a reload does not hide the loss.
func (d *dispatcher) swap(t *table) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.retire()
	for _, old := range d.t.outputs {
		if !old.failing {
			continue
		}
		for _, o := range t.outputs {
			if o.name == old.name {
				o.failing, o.dropped = true, old.dropped
			}
		}
	}
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
	d.writeNotices()
}

// close retires the table for good.
func (d *dispatcher) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.retire()
		d.closed = true
		for _, o := range d.t.outputs {
			if o.failing {
				d.report(msg.Err, "%s still failing at exit, %d lines dropped", o.name, o.dropped)
			}
		}
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

// flush ends a batch: every output written is flushed (and synced). An
// output that was failing works again once a whole batch of it went
// through.
func (d *dispatcher) flush() {
	for _, o := range d.written {
		o.dirty = false
		d.check(o, o.sink.Flush())
		if o.failing && !o.failed {
			o.failing = false
			d.notice(msg.Notice, "%s works again, %d lines dropped", o.name, o.dropped)
			o.dropped = 0
		}
		o.failed = false
	}
	d.written = d.written[:0]
}

// check counts the lines an error of o cost, and reports the first error
// of a failing output.
func (d *dispatcher) check(o *output, err error) {
	if err == nil {
		return
	}
	n := 1
	var dr *sink.Dropped
	if errors.As(err, &dr) {
		n = dr.Lines
	}
	o.dropped += n
	o.failed = true
	if !o.failing {
		o.failing = true
		d.notice(msg.Err, "%v (further errors of %s are not reported until it works again)", err, o.name)
	}
}

// notice reports a failure or recovery on stderr and, after the batch,
// through the outputs as one of gsyslogd's own messages (the failing
// output drops it, and counts it).
func (d *dispatcher) notice(sev int, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	d.report(sev, "%s", text)
	if d.noticing {
		return
	}
	d.notices = append(d.notices, msg.Message{
		Pri:   uint8(msg.Syslog<<3 | sev),
		Stamp: msg.MakeStamp(d.now),
		Tag:   []byte("gsyslogd"),
		PID:   d.pid,
		Text:  []byte(text),
	})
}

// noticeRounds bounds the batches of notices after a batch: notices of
// the last one go to stderr only, so that outputs failing and recovering
// cannot keep the loop going.
const noticeRounds = 3

// writeNotices writes the notices of the batch just written, as a batch
// of their own (which may give notices in turn).
func (d *dispatcher) writeNotices() {
	for round := 1; len(d.notices) > 0; round++ {
		d.noticing = round == noticeRounds
		notices := d.notices
		d.notices = nil
		for i := range notices {
			d.message(&notices[i], false)
		}
		d.flush()
	}
	d.noticing = false
}

// retire flushes and closes the current table.
func (d *dispatcher) retire() {
	d.flushRepeats(true)
	d.flush()
	if err := d.t.close(); err != nil {
		d.report(msg.Err, "closing outputs: %v", err)
	}
}
