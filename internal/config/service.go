package config

import (
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Socket types.
const (
	Stream = "stream"
	Dgram  = "dgram"
)

// Normalized protocols (Service.Proto). inetd.conf's "tcp" and "udp" mean
// IPv4, as in the BSD inetds; "tcp6"/"udp6" are IPv6 only (IPV6_V6ONLY);
// "tcp46"/"udp46" are one IPv6 socket that also takes IPv4.
const (
	TCP4  = "tcp4"
	TCP6  = "tcp6"
	TCP46 = "tcp46"
	UDP4  = "udp4"
	UDP6  = "udp6"
	UDP46 = "udp46"
	Unix  = "unix"
)

// Dialects a Service can come from. The dialect decides defaults that differ
// between inetd and xinetd, such as the child's environment.
const (
	DialectInetd  = "inetd"
	DialectNetBSD = "netbsd"
	DialectXinetd = "xinetd"
)

// NoLimit, as a rate (Service.MaxRate, Service.CPSRate), means that the
// rate is not limited at all.
const NoLimit = -1

// Rate maps a rate limit as inetd spells it, where 0 means no limit (-R,
// .MAX, service_max), to the model: NoLimit for 0, else n.
func Rate(n int) int {
	if n == 0 {
		return NoLimit
	}
	return n
}

// The rate limits of a service whose file sets none (Defaults):
// an inetd.conf service may spawn DefaultRate children per rate
// interval (inetd's -R 256); an xinetd-syntax service gets xinetd's
// default "cps = 50 10" instead. An explicit -R replaces both.
const (
	DefaultRate     = 256
	DefaultCPSRate  = 50
	DefaultCPSPause = 10 * time.Second
)

// Defaults fills the rate limits s's file left unset (0). rate is the -R
// given on the command line (through Rate: NoLimit for -R 0), or 0 when
// none was: then the default of s's dialect applies. The xinetd default
// cps, like the spawn rate, guards against a looping program: built-ins
// are not subject to it.
func (s *Service) Defaults(rate int) {
	if s.MaxRate == 0 {
		switch {
		case rate != 0:
			s.MaxRate = rate
		case s.Dialect == DialectXinetd:
			s.MaxRate = NoLimit
		default:
			s.MaxRate = DefaultRate
		}
	}
	if s.CPSRate == 0 {
		s.CPSRate = NoLimit
		if rate == 0 && s.Dialect == DialectXinetd && s.Builtin == "" {
			s.CPSRate, s.CPSPause = DefaultCPSRate, DefaultCPSPause
		}
	}
}

// Rlimit is one resource limit applied to a child (setrlimit).
type Rlimit struct {
	Resource int    // syscall.RLIMIT_*
	Cur, Max uint64 // RLIM_INFINITY is ^uint64(0)
}

// LogType is xinetd's log_type: to syslog or to a file.
type LogType struct {
	File     string // path when logging to a file
	Facility string // syslog facility name, when File is empty
	Level    string // syslog level name
}

// Cred is a resolved user identity for a child.
type Cred struct {
	Uid, Gid uint32
	Groups   []uint32 // supplementary groups, as initgroups(3) would set them
	Home     string
}

// Service is one configured service: one socket (or, for a tcpmux
// sub-service, one name under the tcpmux built-in). Parsers fill the fields
// they read and leave the others at their zero value; package loader then
// resolves names (Port, Cred, the bind address), reads the files it names
// and drops entries this host cannot serve (Load), and, in the daemon,
// opens its log file and sets up its cgroups (Acquire).
//
// A Service is immutable once loaded and acquired: the supervisor swaps
// whole *Service values at reload and never writes to one.
type Service struct {
	Pos     Pos    // where the entry starts
	Dialect string // DialectInetd, DialectNetBSD or DialectXinetd

	Name string // service name as written: "daytime", "17013", a unix path, an xinetd service name
	ID   string // unique id (xinetd "id"); the loader defaults it to Name/Proto

	SockType string // Stream or Dgram
	Proto    string // TCP4 ... Unix
	Host     string // bind address: "" for any, else an IP literal (or name the loader resolves)
	PortName string // what names the port: a /etc/services name or a number ("" = Name)
	Port     int    // resolved by the loader; 0 lets the kernel choose
	Path     string // unix socket path (Proto == Unix)
	V6Only   *bool  // xinetd v6only; nil = per Proto

	Wait       bool
	Builtin    string // a built-in's name (package builtin's table), or "" for a program service
	TCPMux     bool   // a tcpmux sub-service: "tcpmux/NAME" (Name is NAME)
	TCPMuxPlus bool   // "tcpmux/+NAME": ginetd sends the "+" reply itself
	Program    string // absolute path of the program
	Args       []string

	User  string
	Group string
	Cred  *Cred // resolved by the loader; nil = run as ginetd's own user

	// NoGroups runs the child with no supplementary groups (xinetd
	// "groups = no", its default) instead of the user's (initgroups).
	NoGroups bool

	// Limits. Zero means "no limit" unless noted.
	//
	// MaxRate and CPSRate are 0 where the file says nothing, and NoLimit
	// where it asks for no limit; the loader replaces a 0 by the default
	// (see Defaults), so a loaded service has either a limit or NoLimit.
	MaxRate          int           // spawns per rate interval (inetd -R, .MAX, service_max), or NoLimit
	MaxChild         int           // concurrent children/instances (FreeBSD max-child, xinetd instances)
	MaxConnPerIPMin  int           // connections per source address per minute (FreeBSD, NetBSD ip_max)
	MaxChildPerIP    int           // concurrent children per source (FreeBSD max-child-per-ip, xinetd per_source)
	AcceptMax        int           // NetBSD "SOCKTYPE,N"
	CPSRate          int           // xinetd cps: connections per second, or NoLimit ...
	CPSPause         time.Duration // ... then this long without accepting
	MaxLoad          float64       // xinetd max_load
	DenyTime         time.Duration // xinetd deny_time for SENSOR services; <0 = FOREVER
	Sensor           bool          // xinetd flags SENSOR
	LimitMessage     string        // sent before closing a connection refused by a limit
	MaxLifetime      time.Duration // SIGTERM the child's group after this long
	KillGrace        time.Duration // then SIGKILL after this (0 = 5s)
	OnlyFrom         []string      // xinetd only_from, raw tokens
	OnlyFromNone     bool          // xinetd only_from given with no value: refuse every client
	NoAccess         []string      // xinetd no_access, raw tokens
	AccessTimes      []string      // xinetd access_times, raw "hh:mm-hh:mm" tokens
	Libwrap          string        // hosts_access daemon name (xinetd libwrap); "" = default
	NoLibwrap        bool          // xinetd flags NOLIBWRAP: skip hosts.allow/deny
	SocketActivation bool          // also pass the socket as fd 3 with LISTEN_FDS=1

	// Environment. inetd services inherit ginetd's environment; xinetd
	// services get exactly Env + PassEnv. Unwanted variables (LISTEN_*,
	// NOTIFY_SOCKET, WATCHDOG_*) never reach a child either way.
	InheritEnv bool
	Env        []string // KEY=VALUE
	PassEnv    []string // names taken from ginetd's environment

	// Process attributes.
	Umask      int // -1 = ginetd's own
	Nice       int
	Rlimits    []Rlimit
	Chroot     string
	NoNewPrivs bool
	MemoryMax  string // cgroup v2 memory.max
	CPUMax     string // cgroup v2 cpu.max
	PidsMax    string // cgroup v2 pids.max

	// Socket options.
	Reuse     bool
	NoDelay   bool
	KeepAlive bool

	// xinetd extras.
	Banner        string // file sent to every client
	BannerSuccess string
	BannerFail    string
	Redirect      string // host:port that ginetd proxies the connection to
	LogType       *LogType
	LogOnSuccess  []string // PID HOST USERID EXIT DURATION TRAFFIC
	LogOnFailure  []string // HOST USERID ATTEMPT

	// Policy is compiled by the loader from OnlyFrom, NoAccess and
	// AccessTimes (nil: no restriction).
	Policy AccessPolicy

	// Front door (ginetd.conf(5): proxy_protocol, tls_cert).
	ProxyProtocol bool
	ProxyTrusted  []string
	TLSCert       string
	TLSKey        string
	TLSClientCA   string
	TLSMinVersion string

	// Read and parsed by the loader, off the supervisor's loop, from the
	// files named above; the supervisor only swaps them in. TLS is set
	// exactly when TLSCert is: a service is never served without the TLS
	// its configuration asks for (see Prepared).
	TLS            *tls.Config // certificate, key, client CA pool, minimum version
	BannerData     []byte      // contents of Banner
	BannerOKData   []byte      // contents of BannerSuccess
	BannerFailData []byte      // contents of BannerFail

	// Opened and created by loader.Acquire, in the daemon only (check
	// leaves the host untouched); the supervisor only swaps them in. The
	// caller of Acquire owns LogFile and closes it (loader.Release).
	LogFile *os.File // log_type FILE, open for appending; nil: not opened
	Cgroups []string // the cgroup directories a child joins; nil: none
}

// Errors of Prepared: a service whose files the loader has not read, or
// whose default rate limits it has not filled in.
var (
	ErrUnprepared = errors.New("TLS material not loaded")
	ErrDefaults   = errors.New("rate limits not resolved (config.Service.Defaults)")
)

// Prepared reports whether s carries everything the loader reads and
// resolves for it: nil, ErrUnprepared when it names TLS material that is
// not loaded, ErrDefaults when Defaults has not run.
// The supervisor refuses a configuration with such a service as a whole.
func (s *Service) Prepared() error {
	if (s.TLSCert != "" || s.TLSKey != "" || s.TLSClientCA != "") && s.TLS == nil {
		return ErrUnprepared
	}
	if s.TLSClientCA != "" && (s.TLS.ClientCAs == nil || s.TLS.ClientAuth != tls.RequireAndVerifyClientCert) {
		return ErrUnprepared
	}
	if s.MaxRate == 0 || s.CPSRate == 0 {
		return ErrDefaults
	}
	return nil
}

// Stream reports whether the service uses a stream socket.
func (s *Service) Stream() bool { return s.SockType == Stream }

// Network returns the Go network name for the service's socket: "tcp4",
// "tcp6", "tcp" (dual stack), "udp4", "udp6", "udp", "unix" or "unixgram".
func (s *Service) Network() string {
	switch s.Proto {
	case TCP46:
		return "tcp"
	case UDP46:
		return "udp"
	case Unix:
		if s.SockType == Dgram {
			return "unixgram"
		}
		return "unix"
	}
	return s.Proto
}

// BindHost returns the address to bind: Host, or the wildcard address of
// the service's family when Host is empty.
func (s *Service) BindHost() string {
	if s.Host != "" && s.Host != "*" {
		return s.Host
	}
	switch s.Proto {
	case TCP4, UDP4:
		return "0.0.0.0"
	case TCP6, UDP6, TCP46, UDP46:
		return "::"
	}
	return ""
}

// Address returns the address the service binds, as "host:port" or the
// unix socket path.
func (s *Service) Address() string {
	if s.Proto == Unix {
		return s.Path
	}
	return net.JoinHostPort(s.BindHost(), strconv.Itoa(s.Port))
}

// Key returns the service's socket identity: protocol and bound address
// (OpenBSD inetd's matchconf). Two services with the same key conflict; at
// reload a service whose key is unchanged keeps its socket. Port-0
// services never share a socket, so their key includes the service ID.
func (s *Service) Key() string {
	if s.TCPMux {
		return "tcpmux/" + strings.ToUpper(s.Name)
	}
	if s.Proto == Unix {
		return "unix-" + s.SockType + " " + s.Path
	}
	k := s.Proto + " " + s.Address()
	if s.Port == 0 {
		k += " " + s.ID
	}
	return k
}

// Label returns "name/proto", the prefix of every runtime message about the
// service (inetd's "%s/%s").
//
// A service named by a bare port number is labelled after what it runs,
// its built-in or its argv[0] ("17013 ... internal daytime" is
// "daytime/tcp4"), so that log lines say what they are about.
func (s *Service) Label() string {
	if s.TCPMux {
		return "tcpmux/" + s.Name
	}
	name := s.Name
	if _, err := strconv.Atoi(name); err == nil {
		switch {
		case s.Builtin != "":
			name = s.Builtin
		case len(s.Args) > 0:
			name = s.Args[0]
		}
	}
	return name + "/" + s.Proto
}

// AccessPolicy decides whether a client may connect at a given time: the
// compiled form of only_from, no_access and access_times. The loader sets
// Service.Policy; a nil policy allows everyone.
type AccessPolicy interface {
	Allowed(peer netip.Addr, now time.Time) (ok bool, reason string)
}

// Config is a validated set of services.
type Config struct {
	Files    []string
	Services []*Service
}
