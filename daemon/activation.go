//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listenFDsStart is the first fd passed by socket activation (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// Files returns the fds passed by systemd socket activation (or anything
// speaking its protocol: systemd-socket-activate, ginetd): $LISTEN_FDS fds
// from fd 3 up, each named from $LISTEN_FDNAMES (os.File.Name; "unknown"
// when no name is given, as systemd does).
//
// The fds are meant for this process only if $LISTEN_PID is its pid; when
// it is not, or LISTEN_FDS is unset, Files returns no files and a nil
// error. It fails on a malformed LISTEN_FDS or LISTEN_PID, a LISTEN_FDS
// beyond the descriptor limit (RLIMIT_NOFILE), or a passed fd that is not
// open; the count sizes nothing before each fd it names is seen open. On
// such a failure the fds are left open (close-on-exec): with a wrong count,
// some may not be the activation's to close. Files sets close-on-exec on
// every fd, and always unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES,
// so that the programs this one starts do not take the fds for theirs. The environment is thus consumed:
// a second call returns nothing. Call one of Files, Listeners,
// ListenersWithNames or PacketConns, once. The caller closes the files.
func Files() ([]*os.File, error) {
	defer func() {
		os.Unsetenv("LISTEN_PID")
		os.Unsetenv("LISTEN_FDS")
		os.Unsetenv("LISTEN_FDNAMES")
	}()
	pidStr, nStr := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	if pidStr == "" || nStr == "" {
		return nil, nil
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil {
		return nil, fmt.Errorf("socket activation: LISTEN_PID=%q: not a pid", pidStr)
	}
	if pid != os.Getpid() {
		return nil, nil
	}
	n, err := strconv.Atoi(nStr)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%q: not a count", nStr)
	}
	// The count comes from the environment: it sizes nothing until every
	// fd it names has been seen open, and no fd can lie at or above the
	// descriptor limit.
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && uint64(n) > uint64(lim.Cur)-min(uint64(lim.Cur), listenFDsStart) {
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%d: more fds than the descriptor limit (%d) allows", n, lim.Cur)
	}
	for i := range n {
		fd := listenFDsStart + i
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return nil, fmt.Errorf("socket activation: fd %d of LISTEN_FDS=%d: %w", fd, n, err)
		}
		unix.CloseOnExec(fd)
	}
	var names []string
	if s, ok := os.LookupEnv("LISTEN_FDNAMES"); ok {
		names = strings.Split(s, ":")
	}
	files := make([]*os.File, 0, n)
	for i := range n {
		fd := listenFDsStart + i
		name := "unknown"
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		files = append(files, os.NewFile(uintptr(fd), name))
	}
	return files, nil
}

// Listeners returns the listening sockets passed by socket activation, in
// fd order, for a service with Accept=no. It fails, closing every passed
// fd, if one of them is not a listening stream socket (with Accept=yes the
// fd is a connection: use Files or InetdConn then). No activation: no
// listeners and a nil error. See Files for the environment. The caller
// closes the listeners.
func Listeners() ([]net.Listener, error) {
	files, err := Files()
	if err != nil {
		return nil, err
	}
	var ls []net.Listener
	for i, f := range files {
		l, err := fileListener(f)
		if err != nil {
			closeAll(files[i:])
			for _, l := range ls {
				l.Close()
			}
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// ListenersWithNames is Listeners keyed by the names of LISTEN_FDNAMES
// (systemd's FileDescriptorName=, "unknown" when unnamed); several fds may
// share a name.
func ListenersWithNames() (map[string][]net.Listener, error) {
	files, err := Files()
	if err != nil {
		return nil, err
	}
	m := make(map[string][]net.Listener)
	for i, f := range files {
		name := f.Name()
		l, err := fileListener(f)
		if err != nil {
			closeAll(files[i:])
			for _, ls := range m {
				for _, l := range ls {
					l.Close()
				}
			}
			return nil, err
		}
		m[name] = append(m[name], l)
	}
	return m, nil
}

// PacketConns returns the datagram sockets passed by socket activation, in
// fd order. It fails, closing every passed fd, if one of them is not a
// datagram socket. The caller closes the conns.
func PacketConns() ([]net.PacketConn, error) {
	files, err := Files()
	if err != nil {
		return nil, err
	}
	var pcs []net.PacketConn
	for i, f := range files {
		pc, err := filePacketConn(f)
		if err != nil {
			closeAll(files[i:])
			for _, pc := range pcs {
				pc.Close()
			}
			return nil, err
		}
		pcs = append(pcs, pc)
	}
	return pcs, nil
}

// fileListener turns a passed fd into a listener and closes f (the listener
// holds a dup); on error f is left open.
func fileListener(f *os.File) (net.Listener, error) {
	fd := int(f.Fd()) // before the net package makes it non-blocking
	typ, lis, err := socketKind(fd)
	if err == nil && (typ != unix.SOCK_STREAM && typ != unix.SOCK_SEQPACKET || !lis) {
		err = errors.New("not a listening socket")
		if typ == unix.SOCK_STREAM {
			err = errors.New("a connected stream socket, not a listening socket (Accept=yes?)")
		}
	}
	if err == nil {
		var l net.Listener
		if l, err = net.FileListener(f); err == nil {
			f.Close()
			return l, nil
		}
	}
	return nil, fmt.Errorf("socket activation: fd %d (%s): %w", fd, f.Name(), err)
}

// filePacketConn turns a passed fd into a packet conn and closes f; on
// error f is left open.
func filePacketConn(f *os.File) (net.PacketConn, error) {
	fd := int(f.Fd()) // before the net package makes it non-blocking
	typ, _, err := socketKind(fd)
	if err == nil && typ != unix.SOCK_DGRAM {
		err = fmt.Errorf("a %s, not a datagram socket", kindName(typ))
	}
	if err == nil {
		var pc net.PacketConn
		if pc, err = net.FilePacketConn(f); err == nil {
			f.Close()
			return pc, nil
		}
	}
	return nil, fmt.Errorf("socket activation: fd %d (%s): %w", fd, f.Name(), err)
}

// closeAll closes every file.
func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
