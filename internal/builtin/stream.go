package builtin

import (
	"bufio"
	"io"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// Inline reports whether the stream built-in name answers with one write
// and can run with Respond on the supervisor's thread.
func Inline(name string) bool { return name == "daytime" || name == "time" }

// Respond writes the answer of the inline built-in name (daytime or time)
// to the connected socket fd. The caller closes fd. The write cannot block:
// a fresh socket's send buffer holds far more than 26 bytes.
func Respond(name string, fd int) error {
	var b []byte
	switch name {
	case "daytime":
		b = daytimeNow()
	case "time":
		b = Time(time.Now())
	}
	_, err := unix.Write(fd, b)
	return err
}

// Serve runs the streaming built-in name (echo, discard, chargen, or an
// inline one) on c until the client closes, an error occurs, or the
// connection is idle for longer than idle. It does not close c.
func Serve(name string, c net.Conn, idle time.Duration) error {
	switch name {
	case "daytime":
		_, err := c.Write(daytimeNow())
		return err
	case "time":
		_, err := c.Write(Time(time.Now()))
		return err
	case "echo":
		return echo(c, idle)
	case "discard":
		return discard(c, idle)
	case "chargen":
		return chargen(c, idle)
	}
	return nil
}

func echo(c net.Conn, idle time.Duration) error {
	buf := make([]byte, 16<<10)
	for {
		c.SetDeadline(time.Now().Add(idle))
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func discard(c net.Conn, idle time.Duration) error {
	buf := make([]byte, 16<<10)
	for {
		c.SetReadDeadline(time.Now().Add(idle))
		if _, err := c.Read(buf); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// Ring is chargen's RFC 864 character ring: the 95 printable ASCII
// characters.
const Ring = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

// LineWidth is the number of ring characters in one chargen line.
const LineWidth = 72

// ChargenLine appends chargen line i (0-based): 72 characters of the ring
// starting at offset i mod 95, then CRLF.
func ChargenLine(b []byte, i int) []byte {
	start := i % len(Ring)
	for k := 0; k < LineWidth; k++ {
		b = append(b, Ring[(start+k)%len(Ring)])
	}
	return append(b, '\r', '\n')
}

func chargen(c net.Conn, idle time.Duration) error {
	// One full cycle of the ring is 95 lines; send it repeatedly.
	var cycle []byte
	for i := 0; i < len(Ring); i++ {
		cycle = ChargenLine(cycle, i)
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
