package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ports are the soak's service ports, chosen once (the kernel picks them)
// and kept for the whole run, across reloads and upgrades.
type ports struct {
	execEcho, probe, waitTCP, proxy, tls, redirect, perSource, instances,
	lifetime, denied, tcpmux int
	echo, discard, chargen, daytime, time int // built-ins, stream
	uEcho, uDaytime, uTime, uChargen      int // built-ins, dgram
	waitUDP, dgram                        int
	churn                                 [churnN][2]int // each churn service moves between two ports
	metrics                               int
}

const churnN = 4

func freePort(network string) int {
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			fatalf("port: %v", err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fatalf("port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func pickPorts() *ports {
	p := &ports{}
	seen := map[string]bool{}
	pick := func(network string) int {
		for {
			n := freePort(network)
			k := fmt.Sprint(n)
			if !seen[k] {
				seen[k] = true
				return n
			}
		}
	}
	for _, f := range []*int{&p.execEcho, &p.probe, &p.waitTCP, &p.proxy, &p.tls, &p.redirect,
		&p.perSource, &p.instances, &p.lifetime, &p.denied, &p.tcpmux,
		&p.echo, &p.discard, &p.chargen, &p.daytime, &p.time, &p.metrics} {
		*f = pick("tcp")
	}
	for _, f := range []*int{&p.uEcho, &p.uDaytime, &p.uTime, &p.uChargen, &p.waitUDP, &p.dgram} {
		*f = pick("udp")
	}
	for i := range p.churn {
		p.churn[i] = [2]int{pick("tcp"), pick("tcp")}
	}
	return p
}

// pki is the soak's TLS material: one CA, two server certificate pairs
// (A and B, swapped and renewed by reloads) and a client certificate.
type pki struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
	client tls.Certificate
}

func newPKI(dir string) *pki {
	p := &pki{dir: dir}
	p.ca, p.caKey = p.issue(nil, nil, "soak CA", true)
	writePEM(filepath.Join(dir, "ca.pem"), "CERTIFICATE", p.ca.Raw)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.ca)
	cc, ck := p.issue(p.ca, p.caKey, "soak-client", false)
	kb, _ := x509.MarshalECPrivateKey(ck)
	p.client = tls.Certificate{Certificate: [][]byte{cc.Raw}, PrivateKey: ck}
	_ = kb
	p.renew("A")
	p.renew("B")
	return p
}

// renew writes a new key and certificate for pair NAME (server-NAME.pem,
// server-NAME.key), each through a rename so that a reader never sees
// half a file.
func (p *pki) renew(name string) {
	c, k := p.issue(p.ca, p.caKey, "127.0.0.1", false)
	writePEM(filepath.Join(p.dir, "server-"+name+".pem"), "CERTIFICATE", c.Raw)
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		fatalf("key: %v", err)
	}
	writePEM(filepath.Join(p.dir, "server-"+name+".key"), "EC PRIVATE KEY", kb)
}

func (p *pki) issue(parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fatalf("key: %v", err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	t := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"ginetd soak"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		t.IsCA, t.BasicConstraintsValid = true, true
		t.KeyUsage |= x509.KeyUsageCertSign
	} else {
		t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	if parent == nil {
		parent, parentKey = t, key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, &key.PublicKey, parentKey)
	if err != nil {
		fatalf("certificate: %v", err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

func writePEM(path, typ string, der []byte) {
	writeFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// writeFile replaces path atomically (write aside, rename over).
func writeFile(path string, b []byte) {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		fatalf("%v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		fatalf("%v", err)
	}
}

// churnAt says whether churn service i exists in configuration epoch e and
// on which of its two ports: each one is added, removed and moved as the
// epochs go by, each on its own phase.
func churnAt(e, i int) (present bool, slot int) {
	k := e + i
	return k%3 != 2, (k / 3) % 2
}

// configs returns the xinetd.conf and inetd.conf texts of epoch e. Every
// stable service is in every epoch at the same address (its clients must
// never be refused); epochs change their settings (access lists, TLS
// material, limits, lifetimes, arguments). Churn services come, go and move.
func (s *soak) configs(e int) (xinetd, inetd string) {
	p := s.ports
	var b strings.Builder
	svc := func(name string, attrs ...string) {
		fmt.Fprintf(&b, "service %s\n{\n", name)
		for _, a := range attrs {
			fmt.Fprintf(&b, "\t%s\n", a)
		}
		b.WriteString("}\n")
	}
	port := func(n int) string { return fmt.Sprintf("port = %d", n) }
	const common = "bind = 127.0.0.1"
	self := "server = " + s.self
	alt := func(a, b string) string {
		if e%2 == 0 {
			return a
		}
		return b
	}

	svc("s-exec-echo", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.execEcho), "server = /bin/cat", "flags = NAMEINARGS",
		"server_args = "+alt("soak-cat", "soak-cat -u"), "only_from = "+alt("127.0.0.1", "127.0.0.0/8"))
	svc("s-probe", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.probe), self, "flags = NAMEINARGS", "server_args = soak-probe")
	svc("s-wait-tcp", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = yes", "user = root",
		common, port(p.waitTCP), self, "flags = NAMEINARGS", "server_args = soak-wait-tcp")
	svc("s-wait-udp", "type = UNLISTED", "socket_type = dgram", "protocol = udp", "wait = yes", "user = root",
		common, port(p.waitUDP), self, "flags = NAMEINARGS", "server_args = soak-wait-udp")
	for _, bi := range []struct {
		name  string
		port  int
		dgram bool
	}{{"echo", p.echo, false}, {"discard", p.discard, false}, {"chargen", p.chargen, false},
		{"daytime", p.daytime, false}, {"time", p.time, false},
		{"echo", p.uEcho, true}, {"daytime", p.uDaytime, true}, {"time", p.uTime, true}, {"chargen", p.uChargen, true}} {
		st, pr, id := "stream", "tcp", bi.name+"-stream"
		if bi.dgram {
			st, pr, id = "dgram", "udp", bi.name+"-dgram"
		}
		wait := "no"
		if bi.dgram {
			wait = "yes"
		}
		svc(bi.name, "type = INTERNAL UNLISTED", "id = "+id, "socket_type = "+st, "protocol = "+pr,
			"wait = "+wait, common, port(bi.port))
	}
	svc("s-proxy", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.proxy), self, "flags = NAMEINARGS", "server_args = soak-probe",
		"proxy_protocol = yes", "proxy_trusted = 127.0.0.1",
		"only_from = 192.0.2.0/24 2001:db8::/32"+alt("", " 198.51.100.0/24"))
	pair := "A"
	if (e/2)%2 == 1 {
		pair = "B"
	}
	svc("s-tls", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.tls), self, "flags = NAMEINARGS", "server_args = soak-probe",
		"tls_cert = "+filepath.Join(s.dir, "server-"+pair+".pem"),
		"tls_key = "+filepath.Join(s.dir, "server-"+pair+".key"),
		"tls_client_ca = "+filepath.Join(s.dir, "ca.pem"), "tls_min_version = "+alt("1.2", "1.3"))
	svc("s-redirect", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.redirect), fmt.Sprintf("redirect = 127.0.0.1 %d", p.echo))
	svc("s-per-source", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.perSource), self, "flags = NAMEINARGS", "server_args = soak-slow 30ms",
		"per_source = "+alt("2", "3"), "limit_message = soak busy")
	svc("s-instances", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.instances), self, "flags = NAMEINARGS", "server_args = soak-slow 10ms",
		"instances = "+alt("3", "5"))
	svc("s-lifetime", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.lifetime), "server = /bin/sleep", "flags = NAMEINARGS", "server_args = soak-sleep 60",
		"max_lifetime = "+alt("1s", "1500ms"), "kill_grace = 1s")
	svc("s-denied", "type = UNLISTED", "socket_type = stream", "protocol = tcp", "wait = no", "user = root",
		common, port(p.denied), self, "flags = NAMEINARGS", "server_args = soak-probe",
		"no_access = 127.0.0.2"+alt("", " 127.0.0.3"))
	xinetd = b.String()

	b.Reset()
	fmt.Fprintf(&b, "127.0.0.1:%d stream tcp nowait root internal tcpmux\n", p.tcpmux)
	fmt.Fprintf(&b, "tcpmux/+soakprobe stream tcp nowait root %s soak-probe\n", s.self)
	fmt.Fprintf(&b, "tcpmux/soakcat stream tcp nowait root /bin/cat soak-cat\n")
	if e%2 == 1 {
		fmt.Fprintf(&b, "tcpmux/+soakextra stream tcp nowait root %s soak-probe\n", s.self)
	}
	fmt.Fprintf(&b, "127.0.0.1:%d dgram udp nowait root %s soak-dgram\n", p.dgram, s.self)
	for i := 0; i < churnN; i++ {
		if ok, slot := churnAt(e, i); ok {
			fmt.Fprintf(&b, "127.0.0.1:%d stream tcp nowait root internal echo\n", p.churn[i][slot])
		}
	}
	inetd = b.String()
	return xinetd, inetd
}
