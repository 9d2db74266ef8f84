package syslog

import (
	"time"

	"github.com/ginetd/ginetd/internal/syslog/msg"
	"github.com/ginetd/ginetd/internal/syslog/sink"
)

// repeatFlush is how long a count of repeated messages may wait before its
// "last message repeated N times" line is written (sysklogd's first step).
const repeatFlush = 30 * time.Second

// output is one sink of a table with its repetition state. It belongs to
// the dispatcher.
type output struct {
	name     string
	sink     sink.Sink
	collapse bool // fold repetitions (every kind but forwarding)
	forward  bool // do not send messages that came from the network
	rfc5424  bool // RFC 5424 lines (";RFC5424"), not traditional ones

	dirty   bool // written in the current batch
	failing bool // an error was reported and no batch went through since
	failed  bool // an error in the current batch
	dropped int  // lines lost since it began failing

	// repetition state: the last message written, how many identical ones
	// followed it, and when the last of these came.
	prev     msg.Message
	prevBuf  []byte
	hasPrev  bool
	count    int
	lastSeen time.Time
}

// remember copies m as the last message written.
func (o *output) remember(m *msg.Message) {
	o.prevBuf = o.prevBuf[:0]
	o.prev = *m
	o.prev.Host = o.keep(m.Host)
	o.prev.Tag = o.keep(m.Tag)
	o.prev.PID = o.keep(m.PID)
	o.prev.SD = o.keep(m.SD)
	o.prev.Time = o.keep(m.Time)
	o.prev.MsgID = o.keep(m.MsgID)
	o.prev.Text = o.keep(m.Text)
	o.hasPrev = true
	o.count = 0
}

// keep copies b into prevBuf, keeping nil as nil. Slices taken earlier stay
// valid if prevBuf grows: they point into the old array.
func (o *output) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	start := len(o.prevBuf)
	o.prevBuf = append(o.prevBuf, b...)
	return o.prevBuf[start:len(o.prevBuf):len(o.prevBuf)]
}
