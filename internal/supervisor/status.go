package supervisor

import (
	"sort"
	"strings"
)

// ServiceStatus is one row of `ginetd status`.
type ServiceStatus struct {
	Name     string `json:"name"`
	Proto    string `json:"proto"`
	Addr     string `json:"addr"`
	State    State  `json:"state"`
	Children int    `json:"children"`
	Accepted uint64 `json:"accepted"`
	Refused  uint64 `json:"refused"`
	Failed   uint64 `json:"failed"`
}

// Status returns every service's state, sorted by name and protocol.
func (s *Supervisor) Status() ([]ServiceStatus, error) {
	var rows []ServiceStatus
	ok := s.call(func(s *Supervisor) {
		for _, svc := range s.services {
			rows = append(rows, svc.status())
			for _, sub := range svc.tcpmux {
				rows = append(rows, sub.status())
			}
		}
	})
	if !ok {
		return nil, ErrStopped
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Name != rows[j].Name {
			return rows[i].Name < rows[j].Name
		}
		return rows[i].Proto < rows[j].Proto
	})
	return rows, nil
}

func (svc *service) status() ServiceStatus {
	addr := svc.cfg.Address()
	if svc.sock != nil {
		addr = svc.sock.String()
	}
	name := strings.TrimSuffix(svc.cfg.Label(), "/"+svc.cfg.Proto)
	if svc.cfg.TCPMux {
		addr = "-"
	}
	return ServiceStatus{
		Name: name, Proto: svc.cfg.Proto, Addr: addr, State: svc.state,
		Children: svc.instances, Accepted: svc.accepted, Refused: svc.refused, Failed: svc.failed,
	}
}

// Running returns the number of running children and built-in instances.
func (s *Supervisor) Running() int {
	n := 0
	s.call(func(s *Supervisor) { n = s.running })
	return n
}
