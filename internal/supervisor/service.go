package supervisor

import (
	"log/slog"
	"time"

	"github.com/ginetd/ginetd/internal/access"
	"github.com/ginetd/ginetd/internal/builtin"
	"github.com/ginetd/ginetd/internal/cgroup"
	"github.com/ginetd/ginetd/internal/config"
	"github.com/ginetd/ginetd/internal/frontdoor"
	"github.com/ginetd/ginetd/internal/listen"
	"github.com/ginetd/ginetd/internal/spawn"
)

// State is what a service is doing, as status shows it.
type State string

// Service states.
const (
	Listening State = "listening" // polled for clients
	Waiting   State = "waiting"   // a wait service's child has the socket
	Full      State = "full"      // at its instance limit: the backlog holds new clients
	Looping   State = "looping"   // spawn rate exceeded: paused until the window allows
	BindRetry State = "bind-retry"
	Paused    State = "paused" // out of file descriptors: accepting resumes shortly
	Closed    State = "closed"
)

// service is the runtime side of one configured service. Only the loop
// touches it. cfg is swapped whole at reload, never modified.
type service struct {
	cfg    *config.Service
	lbl    string           // cfg.Label(), computed once per configuration
	bi     *builtin.Service // the built-in cfg names, or nil for a program
	key    string
	sock   *listen.Socket
	state  State
	polled bool // sock is in the epoll set

	env       []string // base environment, computed at apply
	extra     *spawn.Extra
	rate      *access.Window        // spawns per rate interval (-R, .MAX)
	instances int                   // running children and built-in connections
	perIP     access.PerSource      // instances per source address
	ipRate    *access.PerSourceRate // connections per source per minute
	cps       *access.CPS
	load      *access.Load
	daemon    string // hosts_access daemon name

	banner, bannerOK, bannerFail []byte

	cgroups []string // cgroup directories to remove with the service

	log *slog.Logger // with the service's log_type, or nil for ginetd's

	proxy *frontdoor.ProxyPolicy // PROXY protocol, or nil
	tls   *frontdoor.TLS         // TLS termination, or nil

	// Bind retry back-off.
	retryDelay time.Duration
	lastErr    string

	// Accept back-off after EMFILE/ENFILE.
	pauseDelay time.Duration
	fdWait     bool // paused by the descriptor budget

	// Counters for status and metrics.
	accepted, refused, failed uint64

	gen        int                 // bumps when the service is closed; stale timers check it
	tcpmux     map[string]*service // for the tcpmux built-in: its sub-services
	tcpmuxHelp []byte              // and its answer to HELP (tcpmuxHelp)
}

func (svc *service) label() string { return svc.lbl }

// waits reports whether svc is a wait service: its child gets the socket.
// Built-ins ignore the wait flag (inetd.conf lists UDP ones as "wait").
func (svc *service) waits() bool { return svc.cfg.Wait && svc.cfg.Builtin == "" }

// maxChild is the instance limit: max-child, xinetd instances or NetBSD's
// accept_max, the smallest that is set (0: none).
func (svc *service) maxChild() int {
	m, a := svc.cfg.MaxChild, svc.cfg.AcceptMax
	if m == 0 || (a > 0 && a < m) {
		return a
	}
	return m
}

// rotates reports whether serving svc replaces its socket: a datagram
// nowait service with a program (dgramNowait). While an upgrade starts
// (PrepareHandover) such a service is not served: serving it would give
// the socket passed to the new ginetd to a child and go on with one the
// new ginetd never sees. Its datagrams wait in the socket for the new
// ginetd.
func (svc *service) rotates() bool {
	return !svc.stream() && !svc.waits() && svc.cfg.Builtin == ""
}

// stream reports whether the service's socket is a listening socket.
func (svc *service) stream() bool { return svc.cfg.Stream() }

// setPolled adds or removes the socket from the epoll set.
func (s *Supervisor) setPolled(svc *service, on bool) {
	if svc.sock == nil || svc.polled == on {
		return
	}
	if on {
		s.watchFD(svc.sock.FD, watch{svc: svc})
	} else {
		s.unwatchFD(svc.sock.FD)
	}
	svc.polled = on
}

// setState moves svc to st, polling its socket only when Listening.
func (s *Supervisor) setState(svc *service, st State) {
	if svc.state != st {
		s.obs.State(svc.label(), st)
	}
	svc.state = st
	s.setPolled(svc, st == Listening)
}

// resume returns svc to Listening unless something still holds it back.
func (s *Supervisor) resume(svc *service) {
	if svc.state == Closed {
		return
	}
	if svc.sock == nil {
		if svc.cfg.TCPMux { // a sub-service has no socket: a cps pause ends
			s.setState(svc, Listening)
		}
		return
	}
	switch {
	case svc.waits() && (svc.instances > 0 || s.holding):
		s.setState(svc, Waiting)
	case svc.rotates() && s.holding:
		s.setState(svc, Paused)
	case svc.maxChild() > 0 && svc.instances >= svc.maxChild() && !svc.refusesWhenFull():
		s.setState(svc, Full)
	default:
		s.setState(svc, Listening)
	}
}

// closeService stops polling and closes the socket. Children keep running.
//
// During a handover the unix socket path and the cgroups stay: the new
// ginetd uses them.
func (s *Supervisor) closeService(svc *service) {
	s.setPolled(svc, false)
	if svc.sock != nil {
		if s.handingOver {
			svc.sock.Detach()
		} else {
			svc.sock.Close()
		}
		svc.sock = nil
	}
	svc.state = Closed
	if !s.handingOver {
		cgroup.Remove(svc.cgroups)
	}
	s.obs.State(svc.label(), "")
	svc.gen++
}
