package config

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

// TestKey: a service's socket identity, which decides conflicts at load
// and which socket a reload keeps (OpenBSD inetd's matchconf).
func TestKey(t *testing.T) {
	svc := func(f func(s *Service)) *Service {
		s := &Service{Name: "daytime", ID: "daytime", SockType: Stream, Proto: TCP4, Port: 13}
		f(s)
		return s
	}
	same := []struct {
		name string
		a, b *Service
	}{
		{"other name, same socket", svc(func(*Service) {}), svc(func(s *Service) { s.Name, s.ID = "x", "x" })},
		{"empty host and *", svc(func(s *Service) { s.Host = "" }), svc(func(s *Service) { s.Host = "*" })},
		{"empty host and 0.0.0.0", svc(func(s *Service) { s.Host = "" }), svc(func(s *Service) { s.Host = "0.0.0.0" })},
		{"unix: by path", svc(func(s *Service) { s.Proto, s.Path, s.Name = Unix, "/run/a", "a" }),
			svc(func(s *Service) { s.Proto, s.Path, s.Name = Unix, "/run/a", "b" })},
		{"tcpmux: by name, any case", svc(func(s *Service) { s.TCPMux, s.Name = true, "Help" }),
			svc(func(s *Service) { s.TCPMux, s.Name = true, "HELP" })},
	}
	for _, tc := range same {
		if ka, kb := tc.a.Key(), tc.b.Key(); ka != kb {
			t.Errorf("%s: keys %q and %q differ", tc.name, ka, kb)
		}
	}
	differ := []struct {
		name string
		a, b *Service
	}{
		{"tcp4 and tcp6", svc(func(*Service) {}), svc(func(s *Service) { s.Proto = TCP6 })},
		{"tcp4 and udp4", svc(func(*Service) {}), svc(func(s *Service) { s.Proto, s.SockType = UDP4, Dgram })},
		{"port", svc(func(*Service) {}), svc(func(s *Service) { s.Port = 14 })},
		{"host", svc(func(s *Service) { s.Host = "127.0.0.1" }), svc(func(s *Service) { s.Host = "127.0.0.2" })},
		{"port 0: by ID", svc(func(s *Service) { s.Port = 0 }), svc(func(s *Service) { s.Port, s.ID = 0, "other" })},
		{"unix stream and dgram", svc(func(s *Service) { s.Proto, s.Path = Unix, "/run/a" }),
			svc(func(s *Service) { s.Proto, s.Path, s.SockType = Unix, "/run/a", Dgram })},
	}
	for _, tc := range differ {
		if ka, kb := tc.a.Key(), tc.b.Key(); ka == kb {
			t.Errorf("%s: both have key %q", tc.name, ka)
		}
	}
}

// TestLabel: "name/proto"; a service named by a port number is labelled
// after its built-in or argv[0].
func TestLabel(t *testing.T) {
	for _, tc := range []struct {
		s    Service
		want string
	}{
		{Service{Name: "daytime", Proto: TCP4}, "daytime/tcp4"},
		{Service{Name: "17013", Proto: TCP4, Builtin: "daytime"}, "daytime/tcp4"},
		{Service{Name: "17013", Proto: UDP6, Args: []string{"in.tftpd", "-s"}}, "in.tftpd/udp6"},
		{Service{Name: "17013", Proto: TCP4}, "17013/tcp4"},
		{Service{Name: "help", Proto: TCP4, TCPMux: true}, "tcpmux/help"},
	} {
		if got := tc.s.Label(); got != tc.want {
			t.Errorf("%+v: label %q, want %q", tc.s, got, tc.want)
		}
	}
}

// TestBindAddress: the wildcard of the service's family when no host is
// given; Go's network names.
func TestBindAddress(t *testing.T) {
	for _, tc := range []struct {
		proto, sockType, host string
		addr, network         string
	}{
		{TCP4, Stream, "", "0.0.0.0:7", "tcp4"},
		{UDP4, Dgram, "*", "0.0.0.0:7", "udp4"},
		{TCP6, Stream, "", "[::]:7", "tcp6"},
		{TCP46, Stream, "", "[::]:7", "tcp"},
		{UDP46, Dgram, "", "[::]:7", "udp"},
		{TCP4, Stream, "127.0.0.1", "127.0.0.1:7", "tcp4"},
		{TCP6, Stream, "::1", "[::1]:7", "tcp6"},
	} {
		s := Service{Proto: tc.proto, SockType: tc.sockType, Host: tc.host, Port: 7}
		if got := s.Address(); got != tc.addr {
			t.Errorf("%s %q: address %q, want %q", tc.proto, tc.host, got, tc.addr)
		}
		if got := s.Network(); got != tc.network {
			t.Errorf("%s: network %q, want %q", tc.proto, got, tc.network)
		}
	}
	u := Service{Proto: Unix, SockType: Dgram, Path: "/run/log"}
	if u.Address() != "/run/log" || u.Network() != "unixgram" {
		t.Errorf("unix dgram: %q %q", u.Address(), u.Network())
	}
}

// TestPreparedTLS: a service is never served without the TLS its
// configuration asks for: named material not loaded, or a client CA
// without client certificates required, is refused.
func TestPreparedTLS(t *testing.T) {
	base := Service{MaxRate: NoLimit, CPSRate: NoLimit}
	for _, tc := range []struct {
		name string
		f    func(s *Service)
		want error
	}{
		{"no TLS", func(*Service) {}, nil},
		{"cert not loaded", func(s *Service) { s.TLSCert, s.TLSKey = "c.pem", "k.pem" }, ErrUnprepared},
		{"cert loaded", func(s *Service) { s.TLSCert, s.TLSKey, s.TLS = "c.pem", "k.pem", &tls.Config{} }, nil},
		{"client CA not required", func(s *Service) {
			s.TLSCert, s.TLSClientCA = "c.pem", "ca.pem"
			s.TLS = &tls.Config{ClientCAs: x509.NewCertPool(), ClientAuth: tls.VerifyClientCertIfGiven}
		}, ErrUnprepared},
		{"client CA without pool", func(s *Service) {
			s.TLSCert, s.TLSClientCA = "c.pem", "ca.pem"
			s.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert}
		}, ErrUnprepared},
		{"client CA required", func(s *Service) {
			s.TLSCert, s.TLSClientCA = "c.pem", "ca.pem"
			s.TLS = &tls.Config{ClientCAs: x509.NewCertPool(), ClientAuth: tls.RequireAndVerifyClientCert}
		}, nil},
		{"rates unresolved", func(s *Service) { s.CPSRate = 0 }, ErrDefaults},
	} {
		s := base
		tc.f(&s)
		if err := s.Prepared(); err != tc.want {
			t.Errorf("%s: Prepared = %v, want %v", tc.name, err, tc.want)
		}
	}
}
