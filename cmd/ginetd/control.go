package main

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/ginetd/ginetd/internal/control"
	"github.com/ginetd/ginetd/internal/supervisor"
)

// control runs `ginetd status|reload|stop|upgrade` against the control
// socket of a running ginetd.
func controlCmd(f *flags, cmd string) int {
	path := f.controlPath()
	if path == "" {
		fmt.Fprintln(os.Stderr, "ginetd: no control socket: give -control PATH")
		return exitUsage
	}
	r, err := controlRequest(path, cmd)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ginetd %s: %v\n", cmd, err)
		if r != nil {
			return exitConfig
		}
		return exitSystem
	}
	if cmd == "status" {
		tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tPROTO\tADDRESS\tSTATE\tCHILDREN\tACCEPTED\tREFUSED\tFAILED")
		for _, s := range r.Services {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", s.Name, s.Proto, s.Addr, s.State, s.Children, s.Accepted, s.Refused, s.Failed)
		}
		tw.Flush()
		return exitOK
	}
	fmt.Printf("ginetd %s: ok\n", cmd)
	return exitOK
}

var controlRequest = control.Request

// controlHandler lets the control socket drive a running server: status
// straight from the supervisor; reload, upgrade and stop as requests to
// the server's loop, which owns them. Once this ginetd has handed over to
// a new one (it drains), every command is forwarded to the new one
// (server.forward).
type controlHandler struct{ srv *server }

func (h controlHandler) Status() ([]supervisor.ServiceStatus, error) {
	succ := h.srv.handedTo.Load()
	if succ == nil {
		st, err := h.srv.sup.Status()
		if succ = h.raced(err); succ == nil {
			return st, err
		}
	}
	r, err := h.srv.forward(succ, "status")
	if err != nil {
		return nil, err
	}
	return r.Services, nil
}

// raced returns the new ginetd when err says this one's loop stopped
// because it has handed over since the command came: handedTo is set
// before the loop may stop for a hand-over, so such a command is
// forwarded, not answered "supervisor stopped".
func (h controlHandler) raced(err error) *successor {
	if errors.Is(err, supervisor.ErrStopped) {
		return h.srv.handedTo.Load()
	}
	return nil
}

func (h controlHandler) Reload() error { return h.do("reload") }

func (h controlHandler) Stop() error {
	if succ := h.srv.handedTo.Load(); succ != nil {
		_, err := h.srv.forward(succ, "stop")
		return err
	}
	return nil
}

// Upgrade waits until the new ginetd is ready; the loop hands over once
// Finish says the reply is out.
func (h controlHandler) Upgrade() error { return h.do("upgrade") }

func (h controlHandler) do(cmd string) error {
	if succ := h.srv.handedTo.Load(); succ != nil {
		_, err := h.srv.forward(succ, cmd)
		return err
	}
	err := h.srv.request(cmd, true)
	if succ := h.raced(err); succ != nil {
		_, err = h.srv.forward(succ, cmd)
	}
	return err
}

func (h controlHandler) Finish(cmd string) {
	if h.srv.handedTo.Load() != nil {
		return // forwarded: nothing to finish here
	}
	if cmd == "upgrade" {
		select { // only the one upgrade that succeeded gets here
		case h.srv.upgradeSent <- struct{}{}:
		default:
		}
	} else {
		h.srv.request("stop", false)
	}
}
