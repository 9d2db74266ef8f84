package supervisor

import (
	"container/heap"
	"errors"
	"log/slog"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ginetd/ginetd/daemon"
	"github.com/ginetd/ginetd/internal/access"
	"github.com/ginetd/ginetd/internal/listen"
)

// Options configure a Supervisor.
type Options struct {
	Log          *slog.Logger
	RateInterval time.Duration // the interval of every spawn rate, -R and .MAX (default 1m)
	Idle         time.Duration // idle deadline of streaming built-ins (default 5m)
	// Inherited sockets by service key (binary upgrade, socket activation):
	// Apply uses one instead of opening a new socket, and owns it from then.
	Inherited map[string]*listen.Socket
	// Held are, by the key of an inherited socket, the previous ginetd's
	// children still serving it (binary upgrade): the service Waits until
	// they exit. Apply owns the pidfds of the keys it uses.
	Held map[string][]HeldChild
	// Flush, if set, is called once per round of events, after the loop
	// has handled them and before it waits again: the time to write out
	// log lines collected meanwhile.
	Flush func()
	// SyslogPath is the syslog socket for services with log_type SYSLOG
	// ("" = /dev/log).
	SyslogPath string
	// Observer, if set, is told of every event (metrics).
	Observer Observer
	// Hosts is hosts.allow/hosts.deny, consulted for every service without
	// NOLIBWRAP; nil = not consulted.
	Hosts *access.HostsAccess
}

// Supervisor is the event loop and the state it owns. Its methods other
// than Run are safe to call from any goroutine.
type Supervisor struct {
	opts  Options
	log   *slog.Logger
	obs   Observer
	p     *poller
	clock access.Clock // the time of every limit, pause, back-off and timer

	// Owned by the loop goroutine.
	services    map[string]*service // by config key
	watches     map[int]watch       // by fd
	children    map[int]*child      // by pid
	timers      timerHeap
	running     int           // running children and built-in instances, all services
	polled      int           // running children without a pidfd
	pollArmed   bool          // the reaping timer is set
	pollDelay   time.Duration // its current back-off
	udpPorts    []uint16
	sensor      *access.Sensor // addresses denied by SENSOR services
	buf         []byte
	out         []byte
	from        listen.RawAddr // sender of the datagram being answered
	stopping    bool
	handingOver bool // stopping for a binary upgrade (Handover)
	holding     bool // an upgrade is starting: wait services start no child
	draining    bool // handed over: serving what this process serves itself, until it ends
	handed      func(HeldChild)
	fdLimit     int  // RLIMIT_NOFILE
	fdLow       bool // services are paused by the descriptor budget
	fdBase      int  // most descriptors seen open beyond fdHeld, -1 before the first count (see fdsLow)
	fdTimerSet  bool // fdTimer is pending

	// syslog is the connection of every service with log_type SYSLOG
	// (syslogHandler); closed when Run ends.
	syslog *daemon.SyslogHandler

	// goFDs counts the descriptors goroutines hold beyond one per running
	// instance: front doors in flight, TLS relays, redirects' upstream
	// connections (see fdHeld). Goroutines update it.
	goFDs atomic.Int32
	// lingering counts the refused connections lingerClose is closing.
	lingering atomic.Int32

	events chan event // from other goroutines to the loop
	done   chan struct{}
}

// New creates a Supervisor; call Run to start its loop.
func New(opts Options) (*Supervisor, error) {
	return newSupervisor(opts, access.SystemClock{})
}

// newSupervisor is New with the clock that limits, pauses, back-offs and
// the loop's timers read. Tests pass a clock that moves only when they say
// (supervisor_test.go, testEnv); the timers it makes due run when the test
// advances it.
func newSupervisor(opts Options, clock access.Clock) (*Supervisor, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.RateInterval <= 0 {
		opts.RateInterval = time.Minute
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.Idle <= 0 {
		opts.Idle = 5 * time.Minute
	}
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	return &Supervisor{
		fdLimit:  int(min(rl.Cur, 1<<30)),
		fdBase:   -1,
		opts:     opts,
		log:      opts.Log,
		obs:      opts.Observer,
		p:        p,
		clock:    clock,
		services: make(map[string]*service),
		watches:  make(map[int]watch),
		children: make(map[int]*child),
		sensor:   access.NewSensor(65536),
		buf:      make([]byte, 65536),
		events:   make(chan event, 1024),
		done:     make(chan struct{}),
	}, nil
}

// event is something another goroutine asks the loop to do.
type event func(s *Supervisor)

// send queues ev for the loop and wakes it. It returns false once the loop
// has stopped.
func (s *Supervisor) send(ev event) bool {
	select {
	case s.events <- ev:
		s.p.poke()
		return true
	case <-s.done:
		return false
	}
}

// call runs f on the loop and waits for it.
func (s *Supervisor) call(f func(s *Supervisor)) bool {
	fin := make(chan struct{})
	if !s.send(func(s *Supervisor) {
		f(s)
		if s.opts.Flush != nil {
			s.opts.Flush() // what f logged comes before the caller's next line
		}
		close(fin)
	}) {
		return false
	}
	select {
	case <-fin:
		return true
	case <-s.done:
		return false
	}
}

// ErrStopped is returned by requests made after the loop stopped.
var ErrStopped = errors.New("supervisor stopped")

// watch says what a descriptor in the epoll set is.
type watch struct {
	svc   *service
	child *child
	errOf *child // the child's trampoline error pipe
	conn  *inlineConn
	held  *heldChild // the previous ginetd's child on a wait socket
}

// yieldEvery is how often a busy loop yields (see Run).
const yieldEvery = 5 * time.Millisecond

// Run runs the event loop on the calling goroutine until Stop. It closes
// every service socket before returning; running children are left alone.
//
// The loop never parks: it blocks in epoll_wait and in the vfork of each
// spawn, both system calls. To the Go runtime it is one goroutine running
// without end, and after 10 ms of that sysmon preempts it and takes its
// P away in the middle of a system call, then polls every 20 µs for a
// while: under a steady trickle of connections that was ~1,800 sysmon
// wake-ups a second and a seventh of ginetd's CPU at one client. A
// runtime.Gosched every yieldEvery keeps sysmon asleep; the goroutine is
// not locked to its thread, so the yield hands nothing over and the same
// thread carries on (at most an idle thread is woken to look for work).
// An idle loop blocks in epoll_wait and costs nothing.
func (s *Supervisor) Run() {
	defer close(s.done)
	defer s.p.close()
	defer s.closeSyslog()
	evs := make([]unix.EpollEvent, 64)
	lastYield := s.clock.Now()
	for !s.stopping {
		n := s.p.wait(evs, s.timeout())
		// Exits first: a slot (instances, per_source, a wait service's
		// socket) freed in this round is free for the connections of the
		// same round.
		for i := 0; i < n; i++ {
			if w, ok := s.watches[int(evs[i].Fd)]; ok && (w.child != nil || w.held != nil) {
				if w.child != nil {
					s.childExited(w.child)
				} else {
					s.heldExited(w.held)
				}
				evs[i].Fd = -1 // done; its number may be reused below
			}
		}
		for i := 0; i < n; i++ {
			fd := int(evs[i].Fd)
			if fd == s.p.wake {
				s.p.drain()
				s.drainEvents()
				continue
			}
			w, ok := s.watches[fd]
			if !ok {
				continue
			}
			switch {
			case w.conn != nil:
				s.inlineEvent(w.conn, evs[i].Events)
			case w.child != nil || w.held != nil:
				// A number a new child's pidfd took this round: a stale
				// event; its exit comes in a later round.
			case w.errOf != nil:
				s.trampolineReport(w.errOf)
			default:
				s.ready(w.svc)
			}
		}
		if s.polled > 0 {
			s.reapAll()
		}
		now := s.clock.Now()
		s.runTimers(now)
		// A goroutine queues its last event before it gives back what
		// serving counts: an empty queue then means nothing is on its way.
		if s.draining && s.serving() <= 0 && len(s.events) == 0 {
			s.stopping = true
			s.log.Info("drained")
		}
		if s.opts.Flush != nil {
			s.opts.Flush()
		}
		if now.Sub(lastYield) > yieldEvery {
			runtime.Gosched()
			lastYield = now
		}
	}
	s.shutdown()
	if s.opts.Flush != nil {
		s.opts.Flush()
	}
}

func (s *Supervisor) drainEvents() {
	for {
		select {
		case ev := <-s.events:
			ev(s)
		default:
			return
		}
	}
}

// Stop makes Run close every socket and return; it waits for that.
func (s *Supervisor) Stop() {
	s.send(func(s *Supervisor) { s.stopping = true })
	<-s.done
}

// Done is closed when Run has returned.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

func (s *Supervisor) shutdown() {
	for _, svc := range s.services {
		s.closeService(svc)
	}
	for _, c := range s.children {
		if c.pidfd >= 0 {
			unix.Close(c.pidfd)
		}
		if c.errfd >= 0 {
			unix.Close(c.errfd)
		}
	}
	for fd, w := range s.watches {
		if w.held != nil {
			unix.Close(fd)
		}
	}
	s.log.Info("stop", "children", len(s.children))
}

// watchFD adds fd to the epoll set.
func (s *Supervisor) watchFD(fd int, w watch) {
	if err := s.p.add(fd); err != nil {
		s.log.Error("epoll", "fd", fd, "err", err)
		return
	}
	s.watches[fd] = w
}

func (s *Supervisor) unwatchFD(fd int) {
	if _, ok := s.watches[fd]; ok {
		s.p.del(fd)
		delete(s.watches, fd)
	}
}

// Timers.

type timer struct {
	at time.Time
	f  func()
	i  int // index in the heap, -1 once run or cancelled
}

type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].i, h[j].i = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.i = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.i = -1
	return t
}

// after runs f on the loop at time at. The timer holds f, and what f
// refers to, until it runs or is cancelled.
func (s *Supervisor) after(at time.Time, f func()) *timer {
	t := &timer{at: at, f: f}
	heap.Push(&s.timers, t)
	return t
}

// cancel removes t (nil, run or cancelled: nothing to do), so that what
// it refers to is not kept until its time: a connection's idle deadline
// or a child's lifetime may lie minutes after its end.
func (s *Supervisor) cancel(t *timer) {
	if t != nil && t.i >= 0 {
		heap.Remove(&s.timers, t.i)
	}
}

func (s *Supervisor) timeout() int {
	if len(s.timers) == 0 {
		return -1
	}
	d := s.timers[0].at.Sub(s.clock.Now())
	if d <= 0 {
		return 0
	}
	return int((d + time.Millisecond - 1) / time.Millisecond)
}

func (s *Supervisor) runTimers(now time.Time) {
	for len(s.timers) > 0 && !s.timers[0].at.After(now) {
		t := heap.Pop(&s.timers).(*timer)
		t.f()
	}
}

func addrString(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return "-"
	}
	return ap.String()
}
