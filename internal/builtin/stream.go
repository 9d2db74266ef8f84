package builtin

import (
	"bufio"
	"io"
	"net"
	"time"
)

// ring is chargen's RFC 864 character ring: the 95 printable ASCII
// characters.
const ring = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

// lineWidth is the number of ring characters in one chargen line.
const lineWidth = 72

// chargenLine appends chargen line i (0-based): 72 characters of the ring
// starting at offset i mod 95, then CRLF.
func chargenLine(b []byte, i int) []byte {
	start := i % len(ring)
	for k := 0; k < lineWidth; k++ {
		b = append(b, ring[(start+k)%len(ring)])
	}
	return append(b, '\r', '\n')
}

// chargenStream sends the chargen ring (RFC 864) until the client closes
// or stops reading for longer than idle.
func chargenStream(c net.Conn, idle time.Duration) error {
	// One full cycle of the ring is 95 lines; send it repeatedly.
	var cycle []byte
	for i := 0; i < len(ring); i++ {
		cycle = chargenLine(cycle, i)
	}
	// Read (and drop) whatever the client sends, so that its close is seen.
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c)
		close(done)
	}()
	w := bufio.NewWriterSize(c, 0)
	for {
		select {
		case <-done:
			return nil
		default:
		}
		c.SetWriteDeadline(time.Now().Add(idle))
		if _, err := w.Write(cycle); err != nil {
			return err
		}
	}
}
