// Package control owns ginetd's control socket: a unix stream socket
// (mode 0600) on which `ginetd status`, `reload`, `stop` and `upgrade` send
// one command line and read one JSON reply.
package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/ginetd/ginetd/internal/supervisor"
)

// Handler carries out the commands. Each method is called on the control
// goroutine of one client.
type Handler interface {
	Status() ([]supervisor.ServiceStatus, error)
	Reload() error
	Stop() error
	// Upgrade starts the new ginetd and waits until it is ready.
	Upgrade() error
	// Finish completes a successful "stop" or "upgrade" once its reply
	// has been sent: the process is about to end.
	Finish(cmd string)
}

// Reply is the server's answer to one command.
type Reply struct {
	OK       bool                       `json:"ok"`
	Error    string                     `json:"error,omitempty"`
	Services []supervisor.ServiceStatus `json:"services,omitempty"`
}

// Server accepts control connections until Close.
type Server struct {
	ln   net.Listener
	path string
}

// Listen creates the control socket at path (a stale one is replaced) with
// mode 0600 and serves h on it.
func Listen(path string, h Handler) (*Server, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: in use by another ginetd", path)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	s := &Server{ln: ln, path: path}
	go s.serve(h)
	return s, nil
}

// Close stops accepting and removes the socket.
func (s *Server) Close() error { return s.ln.Close() }

func (s *Server) serve(h Handler) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go handle(c, h)
	}
}

func handle(c net.Conn, h Handler) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	var r Reply
	switch cmd := strings.TrimSpace(line); cmd {
	case "status":
		r.Services, err = h.Status()
	case "reload":
		err = h.Reload()
	case "stop":
		err = h.Stop()
	case "upgrade":
		err = h.Upgrade()
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	r.OK = err == nil
	if err != nil {
		r.Error = err.Error()
	}
	json.NewEncoder(c).Encode(&r)
	if cmd := strings.TrimSpace(line); r.OK && (cmd == "stop" || cmd == "upgrade") {
		c.Close()
		h.Finish(cmd)
	}
}

// Request sends cmd to the control socket at path and returns the reply.
// A reply that reports failure is returned with an error holding its text.
func Request(path, cmd string) (*Reply, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := fmt.Fprintf(c, "%s\n", cmd); err != nil {
		return nil, err
	}
	var r Reply
	if err := json.NewDecoder(c).Decode(&r); err != nil {
		return nil, fmt.Errorf("control socket: bad reply: %w", err)
	}
	if !r.OK {
		return &r, errors.New(r.Error)
	}
	return &r, nil
}
