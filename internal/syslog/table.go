package syslog

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/ginetd/ginetd/internal/syslog/conf"
	"github.com/ginetd/ginetd/internal/syslog/msg"
	"github.com/ginetd/ginetd/internal/syslog/sink"
)

// numPri is the number of distinct PRI values (24 facilities × 8).
const numPri = msg.NumFacilities * msg.NumSeverities

// table is one loaded configuration: its outputs and the routes to them.
// It is immutable once built, except for the outputs' state, which belongs
// to the dispatcher.
type table struct {
	outputs []*output
	route   [numPri][]uint16 // PRI → indexes in outputs
	sync    bool             // some output is an fsynced file
}

// env is what building a table needs besides the configuration.
type env struct {
	host []byte
	utmp string
}

// buildTable opens a sink for each distinct action of cfg: rules with the
// same file, pipe, forwarding address or user list share one output, whose
// selection is the union of theirs. A file written by any rule without "-"
// is synced. With strict, the first file or pipe that fails to open fails
// the whole build (and the sinks opened so far are closed); otherwise
// failures are returned in skipped, with a table without those outputs. A
// forwarding host that does not resolve is always only skipped: a name
// server's hiccup must not stop a reload (and a log rotation).
func buildTable(cfg *conf.Config, e env, strict bool) (t *table, skipped, err error) {
	t = &table{}
	keys := map[string]int{}
	var masks []conf.Mask
	var acts []conf.Action
	var poss [][]conf.Pos
	for _, r := range cfg.Rules {
		k := actionKey(r.Action)
		i, ok := keys[k]
		if !ok {
			i = len(acts)
			keys[k] = i
			acts = append(acts, r.Action)
			masks = append(masks, conf.Mask{})
			poss = append(poss, nil)
		}
		acts[i].Sync = acts[i].Sync || r.Action.Sync
		for f := range masks[i] {
			masks[i][f] |= r.Mask[f]
		}
		poss[i] = append(poss[i], r.Pos)
	}
	var errs []error
	for i, a := range acts {
		s, err := openSink(a, e)
		if err != nil {
			err = fmt.Errorf("%s: %w", poss[i][0], err)
			if strict && a.Kind != conf.Forward {
				t.close()
				return nil, nil, err
			}
			errs = append(errs, err)
			continue
		}
		t.sync = t.sync || a.Kind == conf.File && a.Sync
		o := &output{name: actionName(a), sink: s, collapse: a.Kind != conf.Forward, forward: a.Kind == conf.Forward, rfc5424: a.RFC5424}
		if f, ok := s.(*sink.Forward); ok {
			f.RFC5424 = a.RFC5424
		}
		idx := uint16(len(t.outputs))
		t.outputs = append(t.outputs, o)
		for pri := range numPri {
			if masks[i].Match(uint8(pri)) {
				t.route[pri] = append(t.route[pri], idx)
			}
		}
	}
	return t, errors.Join(errs...), nil
}

func openSink(a conf.Action, e env) (sink.Sink, error) {
	switch a.Kind {
	case conf.File:
		return sink.OpenFile(a.Path, a.Sync)
	case conf.Fifo:
		return sink.OpenFifo(a.Path)
	case conf.Forward:
		return sink.OpenForward(a.Host, a.Port, e.host)
	case conf.Wall:
		return sink.NewUsers(e.utmp, nil, e.host), nil
	default:
		return sink.NewUsers(e.utmp, a.Users, e.host), nil
	}
}

func actionKey(a conf.Action) string {
	if a.RFC5424 {
		a.RFC5424 = false
		return actionKey(a) + " ;RFC5424"
	}
	switch a.Kind {
	case conf.File, conf.Fifo:
		return a.Kind.String() + " " + a.Path
	case conf.Forward:
		return "forward " + net.JoinHostPort(a.Host, a.Port)
	case conf.Users:
		return "users " + strings.Join(a.Users, ",")
	}
	return a.Kind.String()
}

func actionName(a conf.Action) string {
	switch a.Kind {
	case conf.File:
		return a.Path
	case conf.Fifo:
		return "|" + a.Path
	case conf.Forward:
		return "@" + net.JoinHostPort(a.Host, a.Port)
	case conf.Users:
		return strings.Join(a.Users, ",")
	}
	return "*"
}

// close closes every sink; the dispatcher calls it on a table it retires.
func (t *table) close() error {
	var errs []error
	for _, o := range t.outputs {
		errs = append(errs, o.sink.Close())
	}
	return errors.Join(errs...)
}
