package frontdoor

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkHandshake measures full connections per second: TCP connect,
// TLS 1.3 handshake (ECDSA P-256), Terminate and relay teardown.
func BenchmarkHandshake(b *testing.B) {
	p := newPKI(b)
	for _, mtls := range []bool{false, true} {
		name := "server-auth"
		if mtls {
			name = "mutual"
		}
		b.Run(name, func(b *testing.B) {
			tl := p.newTLS(b, mtls, "")
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						s, err := tl.Terminate(c, 0)
						if err != nil {
							c.Close()
							return
						}
						unix.Close(s.ChildFD) // no child: the relay ends at once
					}()
				}
			}()
			cfg := p.clientConfig()
			if mtls {
				cfg = p.clientConfig(p.client)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 1)
				for pb.Next() {
					c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
					if err != nil {
						b.Error(err)
						return
					}
					c.Read(buf) // the server's close_notify: Terminate is done
					c.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
		})
	}
}

// relayPair is a client connected through Terminate to a fake child that
// the benchmark drives through ChildFD.
func relayPair(b *testing.B) (client *tls.Conn, child net.Conn, sess *Session) {
	p := newPKI(b)
	tl := p.newTLS(b, false, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	got := make(chan *Session, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		s, err := tl.Terminate(c, 0)
		if err != nil {
			c.Close()
		}
		got <- s
	}()
	client, err = tls.Dial("tcp", ln.Addr().String(), p.clientConfig())
	if err != nil {
		b.Fatal(err)
	}
	sess = <-got
	if sess == nil {
		b.Fatal("Terminate failed")
	}
	f := os.NewFile(uintptr(sess.ChildFD), "child")
	child, err = net.FileConn(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		client.Close()
		child.Close()
		<-sess.Done()
	})
	return client, child, sess
}

const benchChunk = 64 << 10

// BenchmarkRelayToChild measures client-to-child throughput.
func BenchmarkRelayToChild(b *testing.B) {
	client, child, _ := relayPair(b)
	done := make(chan int64)
	go func() {
		n, _ := io.Copy(io.Discard, child)
		done <- n
	}()
	buf := make([]byte, benchChunk)
	b.SetBytes(benchChunk)
	b.ResetTimer()
	for range b.N {
		if _, err := client.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	client.CloseWrite()
	if n := <-done; n != int64(b.N)*benchChunk {
		b.Fatalf("child read %d bytes, want %d", n, int64(b.N)*benchChunk)
	}
}

// BenchmarkRelayFromChild measures child-to-client throughput.
func BenchmarkRelayFromChild(b *testing.B) {
	client, child, _ := relayPair(b)
	go func() {
		buf := make([]byte, benchChunk)
		for range b.N {
			if _, err := child.Write(buf); err != nil {
				return
			}
		}
		child.(*net.UnixConn).CloseWrite()
	}()
	b.SetBytes(benchChunk)
	b.ResetTimer()
	n, err := io.CopyBuffer(io.Discard, client, make([]byte, benchChunk))
	if err != nil || n != int64(b.N)*benchChunk {
		b.Fatalf("client read %d bytes (%v), want %d", n, err, int64(b.N)*benchChunk)
	}
}

func BenchmarkParseHeader(b *testing.B) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"v1", hdrV1},
		{"v2", v2(1, 0x21, v6addrs("2001:db8::1", "2001:db8::2", 1, 2), tlv(1, "h2"))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				if _, found, err := readHeader(&slicePeeker{data: tc.in, greedy: true}, false); !found || err != nil {
					b.Fatal(found, err)
				}
			}
		})
	}
}

// BenchmarkReadProxy measures ReadProxy on a socket with the header and
// a payload queued (connection setup excluded).
func BenchmarkReadProxy(b *testing.B) {
	pol := ProxyPolicy{Trusted: loopback}
	for range b.N {
		b.StopTimer()
		client, server := tcpPair(b)
		client.Write(append(hdrV1[:len(hdrV1):len(hdrV1)], "payload"...))
		peer, local := addrs(server)
		b.StartTimer()
		if _, _, err := ReadProxy(server, peer, local, pol); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		client.Close()
		server.Close()
		b.StartTimer()
	}
}
