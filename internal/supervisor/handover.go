package supervisor

// Sockets returns the descriptor of every open service socket by key, for
// a binary upgrade to pass on. The descriptors stay the supervisor's: the
// caller hands them to the new process (which gets its own copies) and
// must not close them.
func (s *Supervisor) Sockets() (map[string]int, error) {
	fds := make(map[string]int)
	ok := s.call(func(s *Supervisor) {
		for key, svc := range s.services {
			if svc.sock != nil {
				fds[key] = svc.sock.FD
			}
		}
	})
	if !ok {
		return nil, ErrStopped
	}
	return fds, nil
}

// Handover stops the loop like Stop, but leaves in place what the new
// ginetd of an upgrade now uses: unix socket paths and service cgroups.
func (s *Supervisor) Handover() {
	s.send(func(s *Supervisor) { s.handingOver, s.stopping = true, true })
	<-s.done
}
