package syslog

import (
	"time"

	"github.com/ginetd/ginetd/internal/syslog/input"
	"github.com/ginetd/ginetd/internal/syslog/msg"
)

// swapReq hands a new table to the dispatcher; it replies once the old
// table is flushed and closed.
type swapReq struct {
	t     *table
	reply chan struct{}
}

// dispatcher is the single owner of the running table and its sinks.
type dispatcher struct {
	host     []byte
	t        *table
	batches  chan *input.Batch
	internal chan msg.Message // the daemon's own messages, from other goroutines
	swaps    chan swapReq
	stop     chan struct{}
	done     chan struct{}
	report   func(sev int, format string, args ...any) // to stderr only

	now     time.Time
	line    []byte
	written []*output // outputs written in the current batch
}

func newDispatcher(host []byte, t *table, report func(int, string, ...any)) *dispatcher {
	return &dispatcher{
		host:     host,
		t:        t,
		batches:  make(chan *input.Batch),
		internal: make(chan msg.Message, 64),
		swaps:    make(chan swapReq),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		report:   report,
	}
}

// run processes batches until stop is closed, then flushes every output
// and closes the table.
func (d *dispatcher) run() {
	defer close(d.done)
	tick := time.NewTicker(repeatFlush / 3)
	defer tick.Stop()
	for {
		select {
		case b := <-d.batches:
			d.now = time.Now()
			for i := range b.Msgs {
				d.message(&b.Msgs[i], b.Remote)
			}
			d.flush()
			b.Done()
		case m := <-d.internal:
			d.now = time.Now()
			d.message(&m, false)
			d.flush()
		case r := <-d.swaps:
			d.retire()
			d.t = r.t
			close(r.reply)
		case now := <-tick.C:
			d.now = now
			d.flushRepeats(false)
			d.flush()
		case <-d.stop:
		drain:
			for {
				select {
				case m := <-d.internal:
					d.message(&m, false)
				default:
					break drain
				}
			}
			d.flush()
			d.retire()
			return
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
	rep := msg.AppendRepeated(nil, o.prev.Stamp, host, o.count)
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
