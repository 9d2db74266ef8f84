package frontdoor

import (
	"crypto/x509/pkix"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseHeader checks that the parser never panics, never claims more
// bytes than it was given, never looks past the header when fed exactly
// what it asks for, agrees with itself whether it sees the input all at
// once or byte by byte, and, for a peer nobody trusts, never looks past the
// signature whatever length the header declares.
func FuzzParseHeader(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		untrusted := &slicePeeker{data: in}
		_, foundU, errU := readHeader(untrusted, true)
		if untrusted.max > len(v2Sig) {
			t.Fatalf("untrusted peer: looked at %d bytes", untrusted.max)
		}
		exact := &slicePeeker{data: in}
		h1, found1, err1 := readHeader(exact, false)
		if foundU != (found1 || err1 != nil) || errU != nil {
			t.Fatalf("untrusted found %v %v, trusted %v %v", foundU, errU, found1, err1)
		}
		greedy := &slicePeeker{data: in, greedy: true}
		h2, found2, err2 := readHeader(greedy, false)
		if found1 != found2 || (err1 == nil) != (err2 == nil) || h1 != h2 {
			t.Fatalf("exact %v %v %v, greedy %v %v %v", h1, found1, err1, h2, found2, err2)
		}
		if err1 != nil && !errors.Is(err1, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err1)
		}
		if !found1 {
			return
		}
		if h1.n > len(in) || h1.n <= 0 {
			t.Fatalf("header length %d of %d bytes", h1.n, len(in))
		}
		if exact.max > h1.n {
			t.Fatalf("looked at %d bytes of a %d-byte header", exact.max, h1.n)
		}
		if !h1.local && (!h1.src.IsValid() || !h1.dst.IsValid() || h1.src.Addr().Is4In6()) {
			t.Fatalf("bad addresses %v %v", h1.src, h1.dst)
		}
	})
}

// FuzzClientSubject checks TLS_CLIENT_SUBJECT's formatting of a subject
// whose attribute values a client chose: the result is valid UTF-8 with
// every character printable (no newline, NUL or escape sequence can reach
// a child's environment or a log line), formatting it again changes
// nothing, a subject that was printable already is left as it is, and
// the result is at most three bytes per input byte.
func FuzzClientSubject(f *testing.F) {
	f.Add("alice", "Example", "CN=alice,O=Example")
	f.Add("eve\nLD_PRELOAD=/tmp/x.so\r\x1b[2J", "O\x00rg", "\u2028\u0085")
	f.Add("\xff\xfe", "a,b+c\\d", "#x=\"y\"")
	f.Fuzz(func(t *testing.T, cn, org, raw string) {
		name := pkix.Name{CommonName: cn, Organization: []string{org}}
		for _, s := range []string{name.String(), raw} {
			out := escapeSubject(s)
			if !utf8.ValidString(out) {
				t.Fatalf("%q: invalid UTF-8 %q", s, out)
			}
			for _, r := range out {
				if !printable(r) {
					t.Fatalf("%q: non-printable %U in %q", s, r, out)
				}
			}
			if again := escapeSubject(out); again != out {
				t.Fatalf("%q: not stable: %q then %q", s, out, again)
			}
			clean := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !printable(r) })
			if clean && out != s {
				t.Fatalf("printable %q changed to %q", s, out)
			}
			if len(out) > 3*len(s) {
				t.Fatalf("%d bytes from %d", len(out), len(s))
			}
		}
	})
}
