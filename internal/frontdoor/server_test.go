package frontdoor

import (
	"crypto/tls"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// testServer accepts TLS connections with Terminate and runs a child on
// each session's ChildFD, as ginetd's supervisor does.
type testServer struct {
	ln   net.Listener
	tl   *TLS
	argv []string
	env  []string

	errs     chan error    // handshake errors
	exits    chan int      // children's exit codes
	sessions chan *Session // every session started
	wg       sync.WaitGroup
}

func startServer(t testing.TB, tl *TLS, argv []string, env ...string) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{ln: ln, tl: tl, argv: argv, env: env,
		errs: make(chan error, 100), exits: make(chan int, 100), sessions: make(chan *Session, 100)}
	s.wg.Add(1)
	go s.loop()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *testServer) addr() string { return s.ln.Addr().String() }

func (s *testServer) loop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *testServer) serve(c net.Conn) {
	defer s.wg.Done()
	sess, err := s.tl.Terminate(c, 5*time.Second)
	if err != nil {
		c.Close()
		s.errs <- err
		return
	}
	select {
	case s.sessions <- sess:
	default:
	}
	f := os.NewFile(uintptr(sess.ChildFD), "child")
	p, err := os.StartProcess(s.argv[0], s.argv, &os.ProcAttr{
		Files: []*os.File{f, f, f},
		Env:   append(append([]string{}, s.env...), sess.Env...),
	})
	f.Close()
	if err != nil {
		s.errs <- err
		sess.Close()
		<-sess.Done()
		return
	}
	st, _ := p.Wait()
	s.exits <- st.ExitCode()
	<-sess.Done()
}

// waitExit returns the next child's exit code.
func (s *testServer) waitExit(t testing.TB) int {
	t.Helper()
	select {
	case code := <-s.exits:
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("no child exited")
		return -1
	}
}

func (s *testServer) waitErr(t testing.TB) error {
	t.Helper()
	select {
	case err := <-s.errs:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no handshake error on the server")
		return nil
	}
}

func (p *pki) clientConfig(certs ...tls.Certificate) *tls.Config {
	return &tls.Config{RootCAs: p.ca.pool, ServerName: "localhost", Certificates: certs}
}

func (p *pki) newTLS(t testing.TB, clientCA bool, minVersion string) *TLS {
	t.Helper()
	ca := ""
	if clientCA {
		ca = p.caFile
	}
	tl, err := NewTLS(p.serverCert, p.serverKey, ca, minVersion)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}
