// Package safetext makes text that a peer or a certificate controls safe to
// put into an error, a log line or a terminal: names, subjects, SNI, ALPN
// values, alert and HTTP status text.
//
// Such text is data. Quote escapes every byte that could act on a terminal
// or forge a log line (C0 and C1 control characters, DEL, invalid UTF-8,
// Unicode format characters such as bidirectional overrides) and cuts long
// values with a marker, so that a peer cannot make one line of output
// longer than the caller allows. It imports nothing of this module, so
// every package of it may use it.
package safetext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxLen is the number of bytes of a value that Quote keeps.
const MaxLen = 256

// Quote returns s as a double-quoted string: quotes, backslashes,
// non-printable runes (C0 and C1 controls, DEL, format characters such as
// U+202E) and invalid UTF-8 bytes are escaped as strconv.Quote escapes
// them, and s is cut after MaxLen bytes with the marker "…(N more bytes)"
// inside the quotes. Use it for every name, subject, SNI, ALPN value or
// status text that came from a peer or a certificate.
func Quote(s string) string { return QuoteN(s, MaxLen) }

// QuoteN is Quote with a limit of max bytes of s (at least 1).
func QuoteN(s string, max int) string {
	return `"` + escape(s, max, true) + `"`
}

// Escape returns s with the escapes of Quote except that quotes and
// backslashes are kept, cut after max bytes of s: for text that is mostly
// the program's own, such as the Error of a wrapped error, but may contain
// peer text.
func Escape(s string, max int) string { return escape(s, max, false) }

// Line returns one log line that is at most max bytes long (the marker
// included): control bytes and invalid UTF-8 escaped as in Escape, and,
// when it is longer, cut on a rune boundary with " …[cut: N bytes]" at the
// end, N being the length before the cut.
func Line(line string, max int) string {
	line = escape(line, len(line)+1, false)
	if len(line) <= max {
		return line
	}
	m := " …[cut: " + strconv.Itoa(len(line)) + " bytes]"
	n := max - len(m)
	if n < 0 {
		n = 0
	}
	for n > 0 && !utf8.RuneStart(line[n]) {
		n--
	}
	return line[:n] + m
}

func escape(s string, max int, quote bool) string {
	if max < 1 {
		max = 1
	}
	cut := 0
	if len(s) > max {
		n := max
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		cut = len(s) - n
		s = s[:n]
	}
	if !quote && isClean(s) {
		if cut == 0 {
			return s
		}
		return s + "…(" + strconv.Itoa(cut) + " more bytes)"
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&15])
		case quote && (r == '\\' || r == '"'):
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRune(r) // '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	if cut > 0 {
		b.WriteString("…(")
		b.WriteString(strconv.Itoa(cut))
		b.WriteString(" more bytes)")
	}
	return b.String()
}

const hex = "0123456789abcdef"

// isClean reports whether s has nothing that escape would change (quotes
// and backslashes aside).
func isClean(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !strconv.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}
