package builtin

import (
	"encoding/binary"
	"sync/atomic"
	"time"
)

// epoch1900 is the number of seconds from 1900-01-01 to 1970-01-01 (RFC 868).
const epoch1900 = 2208988800

// Daytime returns the RFC 867 line for t: ctime's first 24 characters and
// CRLF, "Thu Nov 26 00:55:00 2026\r\n", in local time.
func Daytime(t time.Time) []byte {
	return t.AppendFormat(make([]byte, 0, 26), "Mon Jan _2 15:04:05 2006\r\n")
}

// Time returns the RFC 868 answer for t: seconds since 1900 as a 32-bit
// big-endian number (it wraps in 2036, as the protocol does).
func Time(t time.Time) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(t.Unix()+epoch1900))
	return b[:]
}

type daytimeCache struct {
	sec  int64
	line []byte
}

var cached atomic.Pointer[daytimeCache]

// daytimeNow returns the daytime line, formatted at most once a second.
func daytimeNow() []byte {
	now := time.Now()
	if c := cached.Load(); c != nil && c.sec == now.Unix() {
		return c.line
	}
	c := &daytimeCache{sec: now.Unix(), line: Daytime(now)}
	cached.Store(c)
	return c.line
}
