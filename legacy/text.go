package legacy

import (
	"strings"

	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// Names that reach this package from a peer (the SNI name a client sends)
// are data: they are cut to a bounded length when kept, and escaped when
// printed.

// maxHost is how much of a name an Event keeps: 253 bytes, the longest
// valid host name.
const maxHost = 253

// capHost cuts a name longer than maxHost bytes (no valid host name is) and
// marks the cut with "...".
func capHost(s string) string {
	if len(s) <= maxHost {
		return s
	}
	return s[:maxHost] + "..."
}

// peerText returns a name or address for a log line: as it is when it is
// made only of the characters of host names and addresses, and quoted
// otherwise (safetext.Quote: Go escapes, cut after 256 bytes with a marker),
// so that no control byte, escape sequence or invisible character reaches a
// terminal or a log.
func peerText(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._:[]*%", c) >= 0
	}
	if plain {
		return s
	}
	return safetext.Quote(s)
}
