package main

import "github.com/tlsdefault/tlsdefault/internal/safetext"

// peerText is text that a peer or a certificate controls (subjects,
// names, SNI, ALPN, the HTTP reason phrase), made safe to print: control
// and format characters escaped, cut after safetext.MaxLen bytes with a
// marker. It must not move the cursor, retitle the terminal or forge a
// line of output.
func peerText(s string) string { return safetext.Escape(s, safetext.MaxLen) }
