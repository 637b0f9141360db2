package legacy_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// hostileHello makes one TLS 1.0 handshake with the SNI name sni, as a
// client that does not care about the server's certificate would.
func hostileHello(addr, sni string) error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{
		ServerName:         sni,
		InsecureSkipVerify: true, // the attacker's client: any certificate will do
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS10,
	})
	if err != nil {
		return err
	}
	return conn.Close()
}

// waitCount waits until c has counted n handshakes (the listener reports
// them from its own goroutines).
func waitCount(t *testing.T, c *legacy.Counter, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.Count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("Counter.Count = %d, want %d", c.Count(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The SNI name comes from the client: the warning a legacy server writes
// quotes it with Go escapes, so that no escape sequence or control byte
// reaches the log or a terminal, and the name is cut to 253 bytes.
func TestServerWarningEscapesSNI(t *testing.T) {
	ca := testpki.NewCA(t)
	warn := &syncBuffer{}
	var rec recorder
	var n legacy.Counter
	addr := legacyServer(t, ca.Server(t), legacy.Allow(legacy.WarnTo(warn), legacy.OnHandshake(rec.record), legacy.Observe(&n)))
	forged := "\x1b]0;pwned\x07\x1b[2J\rtlsdefault: verified OK\n\x7f\u202eok.test"
	long := strings.Repeat("a", 60000)
	for _, sni := range []string{forged, long} {
		if err := hostileHello(addr, sni); err != nil {
			t.Fatalf("handshake with SNI %q: %v", sni[:min(len(sni), 40)], err)
		}
	}
	waitCount(t, &n, 2)
	out := warn.String()
	if strings.ContainsFunc(out[:len(out)-1], func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u202e' }) {
		t.Errorf("a control or formatting character reached the warning: %q", out)
	}
	if !strings.Contains(out, `"\x1b]0;pwned\a\x1b[2J\rtlsdefault: verified OK\n\x7f\u202eok.test" (127.0.0.1:`) {
		t.Errorf("the forged name is not quoted with escapes in the warning:\n%s", out)
	}
	if strings.Count(out, "\n") != 1 {
		// One peer: both names come from 127.0.0.1 and neither is a valid
		// host name, so the peer is its address.
		t.Errorf("want one warning for the one peer, got:\n%s", out)
	}
	evs := rec.get()
	if len(evs) != 2 || evs[0].Host != forged || evs[1].Host != long[:253]+"..." {
		t.Errorf("events keep the name as data, cut to 253 bytes: %d events, hosts %q", len(evs), func() []string {
			var h []string
			for _, e := range evs {
				h = append(h, e.Host[:min(len(e.Host), 300)])
			}
			return h
		}())
	}
	if s := evs[1].String(); len(s) > 400 {
		t.Errorf("Event.String is %d bytes long", len(s))
	}
	if p := n.Peers(); len(p) != 1 || p["127.0.0.1"].Count != 2 {
		t.Errorf("Counter.Peers = %v; want the two handshakes under the address 127.0.0.1", p)
	}
}

// A flood of TLS 1.0 handshakes, each with a new 60 kB SNI name, keeps
// the memory of a legacy server's warnings and Counter bounded (it used to
// keep every name, about 64 MB and 128 MB for 1,000 of them), while the
// total stays exact.
func TestServerSNIFloodBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("flood: 1,000 handshakes with 60 kB SNI names")
	}
	ca := testpki.NewCA(t)
	warn := &syncBuffer{}
	var n legacy.Counter
	addr := legacyServer(t, ca.Server(t), legacy.Allow(legacy.WarnTo(warn), legacy.Observe(&n)))
	pad := strings.Repeat("x", 60000)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const handshakes = 1000
	for i := range handshakes {
		if err := hostileHello(addr, fmt.Sprintf("%d.%s", i, pad)); err != nil {
			t.Fatalf("handshake %d: %v", i, err)
		}
	}
	waitCount(t, &n, handshakes)
	runtime.GC()
	runtime.ReadMemStats(&after)

	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap after %d handshakes with distinct 60 kB SNI names: %+d bytes; %d peers counted; %d bytes of warnings",
		handshakes, growth, len(n.Peers()), len(warn.String()))
	if growth > 8<<20 {
		t.Errorf("the heap grew by %d bytes; want the names not kept", growth)
	}
	if n.Count() != handshakes {
		t.Errorf("Counter.Count = %d, want %d", n.Count(), handshakes)
	}
	if len(n.Peers()) > legacy.MaxPeers {
		t.Errorf("Counter.Peers has %d entries, more than MaxPeers (%d)", len(n.Peers()), legacy.MaxPeers)
	}
	if len(warn.String()) > 4096 {
		t.Errorf("%d bytes of warnings for one client", len(warn.String()))
	}
}

// Many valid, distinct host names (an unscoped server, or a scope with a
// "*.example.com" pattern): the warnings stop naming peers after 256 and
// say so once; the Counter keeps the MaxPeers most recent peers, and its
// total stays exact.
func TestServerManyPeersBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("flood: 600 handshakes")
	}
	ca := testpki.NewCA(t)
	warn := &syncBuffer{}
	var n legacy.Counter
	addr := legacyServer(t, ca.Server(t), legacy.Allow(legacy.ForHosts("*.old.example"), legacy.WarnTo(warn), legacy.Observe(&n)))
	const handshakes = legacy.MaxPeers + 88
	for i := range handshakes {
		if err := hostileHello(addr, fmt.Sprintf("h%d.old.example", i)); err != nil {
			t.Fatalf("handshake %d: %v", i, err)
		}
	}
	waitCount(t, &n, handshakes)
	peers := n.Peers()
	var sum int64
	for _, p := range peers {
		sum += p.Count
	}
	if len(peers) != legacy.MaxPeers || n.Count() != handshakes || sum != legacy.MaxPeers {
		t.Errorf("Counter: %d peers, total %d, sum %d; want %d peers, total %d", len(peers), n.Count(), sum, legacy.MaxPeers, handshakes)
	}
	if _, ok := peers[fmt.Sprintf("h%d.old.example", handshakes-1)]; !ok {
		t.Error("the most recent peer is not in Counter.Peers")
	}
	lines := strings.Split(strings.TrimSpace(warn.String()), "\n")
	if len(lines) != 257 || !strings.Contains(lines[256], "more than 256 distinct peers") {
		t.Errorf("%d warning lines; want 256 and one that says the rest are not named; last: %q", len(lines), lines[len(lines)-1])
	}
}
