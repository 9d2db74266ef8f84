package builtin

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestTable checks that every row can run as its mode says: the function
// the mode calls is there, and a name appears once per socket type.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range table {
		k := b.Name
		if b.Stream {
			k += "/stream"
		} else {
			k += "/dgram"
		}
		if seen[k] {
			t.Errorf("%s: twice in the table", k)
		}
		seen[k] = true
		switch b.Mode {
		case Answer, Loop:
			if b.Reply == nil || b.Serve != nil {
				t.Errorf("%s: mode %d wants Reply only", k, b.Mode)
			}
		case Goroutine:
			if b.Serve == nil || b.Reply != nil {
				t.Errorf("%s: mode Goroutine wants Serve only", k)
			}
		case Mux:
			if b.Serve != nil || b.Reply != nil || !b.Stream {
				t.Errorf("%s: mode Mux has no function and is stream only", k)
			}
		default:
			t.Errorf("%s: unknown mode %d", k, b.Mode)
		}
		if b.Mode == Loop && !b.Stream {
			t.Errorf("%s: a datagram built-in is answered, not looped", k)
		}
		if got := Lookup(b.Name, b.Stream); got == nil || got.Name != b.Name || got.Stream != b.Stream {
			t.Errorf("Lookup(%s) = %+v", k, got)
		}
	}
	for _, name := range []string{"echo", "discard", "chargen", "daytime", "time", "tcpmux"} {
		if !Known(name) {
			t.Errorf("Known(%q) = false", name)
		}
	}
	if Known("servers") || Lookup("tcpmux", false) != nil {
		t.Error("Known/Lookup find what the table lacks")
	}
}

func TestReply(t *testing.T) {
	in := []byte("hello")
	if out, ok := Lookup("echo", false).Reply(nil, in); !ok || !bytes.Equal(out, in) {
		t.Errorf("echo = %q, %v", out, ok)
	}
	if out, ok := Lookup("discard", true).Reply(nil, in); ok || len(out) != 0 {
		t.Errorf("discard = %q, %v", out, ok)
	}
	out, ok := Lookup("daytime", true).Reply([]byte("x"), nil)
	if !ok || len(out) != 1+26 || !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Errorf("daytime = %q, %v", out, ok)
	}
	before := uint32(time.Now().Unix() + epoch1900)
	out, ok = Lookup("time", false).Reply(nil, in)
	if !ok || len(out) != 4 {
		t.Fatalf("time = %x, %v", out, ok)
	}
	if got := binary.BigEndian.Uint32(out); got-before > 2 {
		t.Errorf("time = %d, want about %d", got, before)
	}
	out, ok = Lookup("chargen", false).Reply(nil, in)
	if !ok || len(out) != lineWidth+2 {
		t.Errorf("chargen = %q, %v", out, ok)
	}
}

// TestChargenStream reads a cycle of chargen over a real connection and
// checks that the built-in ends when the client closes.
func TestChargenStream(t *testing.T) {
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- Lookup("chargen", true).Serve(a, 10*time.Second) }()
	buf := make([]byte, 2*(lineWidth+2))
	if _, err := readFull(b, buf); err != nil {
		t.Fatal(err)
	}
	if want := chargenLine(chargenLine(nil, 0), 1); !bytes.Equal(buf, want) {
		t.Errorf("got %q, want %q", buf, want)
	}
	b.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("chargen did not end when the client closed")
	}
	a.Close()
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestBadSource(t *testing.T) {
	for _, tc := range []struct {
		src  string
		bad  bool
		what string
	}{
		{"127.0.0.1:40000", false, "an ordinary client"},
		{"[::1]:40000", false, "IPv6 loopback"},
		{"[2001:db8::1]:40000", false, "IPv6"},
		{"[::ffff:127.0.0.1]:40000", false, "IPv4-mapped, judged as IPv4"},
		{"127.0.0.1:7", true, "privileged port"},
		{"127.0.0.1:1023", true, "privileged port"},
		{"127.0.0.1:2049", true, "NFS port"},
		{"127.0.0.1:30000", true, "a UDP built-in's port on this host"},
		{"224.0.0.1:40000", true, "multicast"},
		{"[ff02::1]:40000", true, "IPv6 multicast"},
		{"0.0.0.0:40000", true, "unspecified"},
		{"[::]:40000", true, "IPv6 unspecified"},
		{"0.1.2.3:40000", true, "0.0.0.0/8"},
		{"255.1.2.3:40000", true, "255.0.0.0/8"},
		{"255.255.255.255:40000", true, "limited broadcast"},
		{"10.1.2.255:40000", true, "broadcast-looking"},
		{"[::ffff:10.1.2.255]:40000", true, "IPv4-mapped broadcast-looking"},
		{"[::10.1.2.3]:40000", true, "IPv4-compatible"},
	} {
		if got := BadSource(netip.MustParseAddrPort(tc.src), []uint16{30000}); got != tc.bad {
			t.Errorf("BadSource(%s) = %v, want %v (%s)", tc.src, got, tc.bad, tc.what)
		}
	}
}
