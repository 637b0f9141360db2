package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text that a peer or a certificate controls (subjects, names, the HTTP
// reason phrase) is data: it must not move the cursor, retitle the
// terminal or forge a line of output. peerText escapes it as
// internal/safetext does (the library's helper for the same job; this
// local copy goes once that package is on main).

// maxPeerText is how many bytes of one peer value are printed.
const maxPeerText = 256

// peerText returns s with C0 and C1 control characters, DEL, invalid
// UTF-8 and Unicode format characters (such as U+202E) escaped as Go
// escapes them, cut after maxPeerText bytes with a marker.
func peerText(s string) string { return escapeText(s, maxPeerText) }

// escapeText is peerText with a limit of max bytes of s.
func escapeText(s string, max int) string {
	clean := len(s) <= max
	for i := 0; clean && i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !printable(r) {
			clean = false
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) && i < max {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !printable(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	if i < len(s) {
		fmt.Fprintf(&b, "…(%d more bytes)", len(s)-i)
	}
	return b.String()
}

// printable reports whether r may reach a terminal as it is: a printable
// rune or a plain space, not a control or format character.
func printable(r rune) bool {
	return r == ' ' || (unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r))
}
