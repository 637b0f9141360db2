package legacy

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/godebugenv"
	"github.com/tlsdefault/tlsdefault/internal/hostname"
	"github.com/tlsdefault/tlsdefault/internal/legacyhook"
)

// MinRSABits is the smallest RSA key a peer in the scope of [Allow] may
// present in its certificate chain: 1024 bits, as OpenSSL's security level
// 1 (Python's "@SECLEVEL=1") allows, since old appliances often have such a
// key. Every other peer keeps the floor of package tlsdefault (2048 bits).
// EC keys and SHA-1 signatures are judged as without Allow.
const MinRSABits = legacyhook.MinRSABitsFloor

// mode is the state of one Allow option, and the only implementation of
// legacyhook.Hook: everything legacy mode does to a config or reports about
// a handshake is here.
type mode struct {
	// hosts limits legacy mode to these names (exact, or "*.example.com"),
	// in the form normalizeHost gives; empty means every peer.
	hosts []string
	// observers are called for every legacy handshake accepted.
	observers []func(Event)
	// quiet turns off the warnings; warn is where they go (nil: stderr).
	quiet bool
	warn  io.Writer

	warned    warnedSet
	sha1Once  sync.Once
	mlkemOnce sync.Once
}

var _ legacyhook.Hook = (*mode)(nil)

// suites are the TLS 1.0-1.2 suites legacy mode adds after the defaults:
// CBC with SHA-1 and SHA-256 MACs, RSA key exchange and 3DES, in the order
// of preference Mozilla's "old" profile gives them.
func suites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	}
}

// widenedSuites is the list a widened config holds: the defaults first.
func widenedSuites() []uint16 { return append(internal.CipherSuites(), suites()...) }

// widen lowers the fields of cfg that still hold the defaults: the floor to
// TLS 1.0, and the suites to the defaults followed by the legacy suites. A
// field the user changed is left as it is.
func widen(cfg *tls.Config) {
	if cfg.MinVersion == internal.MinVersion {
		cfg.MinVersion = tls.VersionTLS10
	}
	if slices.Equal(cfg.CipherSuites, internal.CipherSuites()) {
		cfg.CipherSuites = widenedSuites()
	}
}

func (m *mode) scoped() bool { return len(m.hosts) > 0 }

// Widen implements legacyhook.Hook: only without a scope. A scoped
// client's or server's config stays strict; the library widens its own
// per-connection clone for a peer in scope (ClientConfigFor,
// ServerConfigFor), so that no field of a config that code outside the
// library can reach (VerifyConnection replaced, say) is left to keep a
// peer out of scope from the old versions.
func (m *mode) Widen(cfg *tls.Config) {
	if m.scoped() {
		return
	}
	widen(cfg)
}

// ClientConfigFor implements legacyhook.Hook.
func (m *mode) ClientConfigFor(cfg *tls.Config, host string) {
	if m.scoped() && m.Covers(host) {
		widen(cfg)
	}
}

// ServerConfigFor implements legacyhook.Hook.
func (m *mode) ServerConfigFor(cfg *tls.Config, hello *tls.ClientHelloInfo) {
	if !m.Covers(hello.ServerName) {
		return
	}
	if m.scoped() {
		widen(cfg)
	}
	if !http2Capable(hello) {
		// HTTP/2 requires TLS 1.2 or later with an ephemeral AEAD suite
		// (RFC 9113, section 9.2), and net/http's server closes any other
		// connection that negotiated "h2" (INADEQUATE_SECURITY). Such a
		// client speaks HTTP/1.1.
		cfg.NextProtos = slices.DeleteFunc(slices.Clone(cfg.NextProtos), func(p string) bool { return p == "h2" })
	}
	// Legacy handshakes that the verifier (ours, or the user's wrapping
	// it) accepted are reported with the SNI name and the remote address.
	inner, sni, remote := cfg.VerifyConnection, hello.ServerName, remoteAddr(hello.Conn)
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if inner != nil {
			if err := inner(cs); err != nil {
				return err
			}
		}
		if internal.IsLegacy(cs) {
			m.Observe("server", sni, remote, cs)
		}
		return nil
	}
}

// remoteAddr is the remote address of c, or "" when it has none.
func remoteAddr(c net.Conn) string {
	if c == nil {
		return ""
	}
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// http2Capable reports whether a client that sent hello will negotiate TLS
// 1.3, or TLS 1.2 with one of the default (ECDHE, AEAD) suites, with a
// server of this module.
func http2Capable(hello *tls.ClientHelloInfo) bool {
	if slices.Contains(hello.SupportedVersions, tls.VersionTLS13) {
		return true
	}
	if !slices.Contains(hello.SupportedVersions, tls.VersionTLS12) {
		return false
	}
	if !slices.ContainsFunc(hello.CipherSuites, internal.IsDefaultSuite) {
		return false
	}
	// ECDHE needs a curve in common (with TLS 1.2, hybrid groups do not
	// count); crypto/tls does no ECDHE with a client that lists none.
	return slices.ContainsFunc(hello.SupportedCurves, func(c tls.CurveID) bool {
		switch c {
		case tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521:
			return true
		}
		return false
	})
}

// Scoped implements legacyhook.Hook.
func (m *mode) Scoped() bool { return m.scoped() }

// Covers implements legacyhook.Hook: every peer without a scope; with
// one, a peer whose name (normalised once, as ForHosts normalises its
// names) is one of the names or matches one of the patterns.
func (m *mode) Covers(host string) bool {
	if !m.scoped() {
		return true
	}
	n, ok := matchName(host)
	if !ok {
		return false
	}
	for _, p := range m.hosts {
		if rest, ok := strings.CutPrefix(p, "*."); ok {
			if label, ok := strings.CutSuffix(n, "."+rest); ok && label != "" && !strings.Contains(label, ".") {
				return true
			}
			continue
		}
		if n == p {
			return true
		}
	}
	return false
}

// matchName puts a server name dialled or received in the form of the
// names of ForHosts: lower case, without port or trailing dot, an IP address
// as netip.Addr.String gives it. A name that is no valid host name (too
// long, a bad character, an empty label) matches nothing.
func matchName(host string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		// One spelling per address ("::1", not "0::1"), without zone.
		return a.Unmap().WithZone("").String(), true
	}
	// Unicode names are compared as their A-labels, as ForHosts stores them.
	n, err := hostname.Normalize(host)
	if err != nil {
		return "", false
	}
	return n, true
}

// MinRSABits implements legacyhook.Hook.
func (m *mode) MinRSABits(host string) int {
	if m.Covers(host) {
		return MinRSABits
	}
	return internal.MinRSABits
}

// Observe implements legacyhook.Hook: the event goes to every observer,
// and a warning to the log once per peer.
func (m *mode) Observe(side, host, remote string, cs tls.ConnectionState) {
	ev := Event{
		Side:        side,
		Host:        capHost(host),
		RemoteAddr:  remote,
		Version:     cs.Version,
		CipherSuite: cs.CipherSuite,
		Time:        time.Now(),
	}
	for _, f := range m.observers {
		f(ev)
	}
	if m.quiet {
		return
	}
	first, overflow := m.warned.first(ev.Side + " " + peerKey(ev) + " " + addrHost(ev.RemoteAddr))
	switch {
	case first:
		m.printf("tlsdefault: warning: %s\n", ev)
	case overflow:
		m.printf("tlsdefault: warning: legacy %s handshakes with more than %d distinct peers; further peers are not named (count them with legacy.Observe)\n", ev.Side, maxWarned)
	}
}

func (m *mode) printf(format string, args ...any) {
	w := m.warn
	if w == nil {
		w = internal.Stderr
	}
	fmt.Fprintf(w, format, args...)
}

// maxWarned is how many distinct peers one Allow warns about; after that,
// one line says so and the rest are only counted.
const maxWarned = 256

// warnedSet remembers the peers already warned about, up to maxWarned.
type warnedSet struct {
	mu   sync.Mutex
	seen map[string]struct{}
	full bool
}

// first reports whether key is new (and records it), or, once the set is
// full, whether this is the first key that did not fit.
func (w *warnedSet) first(key string) (first, overflow bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.seen[key]; ok {
		return false, false
	}
	if len(w.seen) >= maxWarned {
		overflow, w.full = !w.full, true
		return false, overflow
	}
	if w.seen == nil {
		w.seen = make(map[string]struct{})
	}
	w.seen[key] = struct{}{}
	return true, false
}

// addrHost is the host part of a host:port address.
func addrHost(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().String()
	}
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// warnGODEBUG warns, once per Allow and setting, when the process runs
// with a GODEBUG setting that package tlsdefault refuses without Allow and
// legacy mode is limited to some hosts: GODEBUG=tlssha1=1 (crypto/tls then
// accepts SHA-1 handshake signatures in TLS 1.2 from every peer of the
// program, not only from the hosts in scope) or GODEBUG=tlsmlkem=0 (no
// post-quantum key exchange with any peer); no tls.Config field can stop
// either.
func (m *mode) warnGODEBUG() {
	if !m.scoped() || m.quiet {
		return
	}
	g := godebugenv.Now()
	if v, src := g.Lookup("tlssha1"); v == "1" {
		m.sha1Once.Do(func() {
			m.printf("tlsdefault: warning: GODEBUG tlssha1=1 (from %s) lets crypto/tls accept SHA-1 handshake signatures in TLS 1.2 from every peer of this program, not only from the hosts of legacy.ForHosts; no tls.Config setting can limit it. Run the code that talks to the old peer in a process of its own if other peers matter\n", src)
		})
	}
	if v, src := g.Lookup("tlsmlkem"); v == "0" {
		m.mlkemOnce.Do(func() {
			m.printf("tlsdefault: warning: GODEBUG tlsmlkem=0 (from %s) removes the post-quantum key exchange (X25519MLKEM768) from every TLS connection of this program, not only from the hosts of legacy.ForHosts; no tls.Config setting can limit it. Run the code that talks to the old peer in a process of its own if other peers matter\n", src)
		})
	}
}
