package legacy

import (
	"crypto/tls"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzPeerName feeds names as a client may send them in SNI to what legacy
// mode does with a peer's name: scope matching, the key of the Counter and
// of the warnings, the cut of Event.Host and the text of the warning. None
// may panic; the text has no control or format character and is bounded.
func FuzzPeerName(f *testing.F) {
	for _, s := range []string{"old.test", "OLD.Test.", "a.old.example", "x.y.old.example", "192.0.2.7", "[2001:db8::7]:443",
		"\x1b]0;x\x07", "\u202eok.test", "\xff\xfe", strings.Repeat("a", 300), "a..old.example", "*.old.example"} {
		f.Add(s)
	}
	m := &mode{hosts: []string{"old.test", "*.old.example", "192.0.2.7", "2001:db8::7"}}
	f.Fuzz(func(t *testing.T, name string) {
		if m.Covers(name) {
			n, ok := matchName(name)
			if !ok || len(n) > 253 {
				t.Fatalf("Covers(%q) with match form %q, %v", name, n, ok)
			}
		}
		_ = m.MinRSABits(name)
		ev := Event{Side: "server", Host: capHost(name), RemoteAddr: "127.0.0.1:1234", Version: tls.VersionTLS10}
		if len(ev.Host) > maxHost+3 {
			t.Fatalf("capHost kept %d bytes", len(ev.Host))
		}
		if k := peerKey(ev); len(k) > maxHost+3 {
			t.Fatalf("peerKey is %d bytes", len(k))
		}
		line := ev.String()
		if len(line) > 1200 {
			t.Fatalf("Event.String is %d bytes", len(line))
		}
		if !utf8.ValidString(line) {
			t.Fatalf("Event.String is not valid UTF-8: %q", line)
		}
		for _, r := range line {
			if unicode.IsControl(r) || unicode.In(r, unicode.Cf) {
				t.Fatalf("Event.String has %U: %q", r, line)
			}
		}
	})
}
