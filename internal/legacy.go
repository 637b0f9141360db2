package internal

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Legacy is the state of one legacy.Allow option. It is written only by
// package legacy; the root package reads it and never creates one.
type Legacy struct {
	// Hosts limits legacy mode to these names (exact, or "*.example.com"
	// for any name one label below example.com), lower case, without a
	// trailing dot, IP addresses in the form netip.Addr.String gives.
	// Empty means every peer.
	Hosts []string
	// Observers are called for every handshake that used a legacy version
	// or suite.
	Observers []func(Event)
	// Quiet turns off the one-line warning per peer on standard error.
	Quiet bool
	// Warn is where warnings go; nil means Stderr.
	Warn io.Writer

	count  atomic.Int64
	warned sync.Map
}

// Event describes one handshake that used a legacy version or suite.
type Event struct {
	Side        string // "client" (we dialled) or "server" (we accepted)
	Host        string // server name dialled, or SNI name received
	RemoteAddr  string // the peer's address, when known
	Version     uint16
	CipherSuite uint16
}

// LegacySuites are the TLS 1.0-1.2 suites legacy mode adds after the
// defaults: CBC with SHA-1 and SHA-256 MACs, RSA key exchange and 3DES, in
// the order of preference Mozilla's "old" profile gives them.
func LegacySuites() []uint16 {
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

// Widen lowers cfg to legacy mode: TLS 1.0 floor and the legacy suites
// after the defaults.
func (l *Legacy) Widen(cfg *tls.Config) {
	cfg.MinVersion = tls.VersionTLS10
	cfg.CipherSuites = append(CipherSuites(), LegacySuites()...)
}

// WidenFor widens cfg as Widen does, for a server answering hello, and
// takes "h2" out of cfg.NextProtos when the client cannot reach a
// connection that HTTP/2 accepts: HTTP/2 requires TLS 1.2 or later with an
// ephemeral AEAD suite (RFC 9113, section 9.2), and net/http's server
// closes any other connection that negotiated "h2" (INADEQUATE_SECURITY,
// "TLS version too low"). Such a client then speaks HTTP/1.1.
func (l *Legacy) WidenFor(cfg *tls.Config, hello *tls.ClientHelloInfo) {
	l.Widen(cfg)
	if !HTTP2Capable(hello) {
		cfg.NextProtos = slices.DeleteFunc(slices.Clone(cfg.NextProtos), func(p string) bool { return p == "h2" })
	}
}

// HTTP2Capable reports whether a client that sent hello will negotiate TLS
// 1.3, or TLS 1.2 with one of the default (ECDHE, AEAD) suites, with a
// server of this module.
func HTTP2Capable(hello *tls.ClientHelloInfo) bool {
	if slices.Contains(hello.SupportedVersions, tls.VersionTLS13) {
		return true
	}
	if !slices.Contains(hello.SupportedVersions, tls.VersionTLS12) {
		return false
	}
	if !slices.ContainsFunc(hello.CipherSuites, func(id uint16) bool { return slices.Contains(CipherSuites(), id) }) {
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

// Scoped reports whether legacy mode is limited to some hosts.
func (l *Legacy) Scoped() bool { return len(l.Hosts) > 0 }

// Matches reports whether host is in scope.
func (l *Legacy) Matches(host string) bool {
	if !l.Scoped() {
		return true
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		return false
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		// Compare IP addresses in one spelling ("::1", not "0::1").
		host = a.Unmap().WithZone("").String()
	}
	for _, p := range l.Hosts {
		p = strings.TrimSuffix(strings.ToLower(p), ".")
		if rest, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+rest) && !strings.Contains(strings.TrimSuffix(host, "."+rest), ".") {
				return true
			}
			continue
		}
		if host == p {
			return true
		}
	}
	return false
}

// IsLegacy reports whether a connection used a version or suite that only
// legacy mode allows.
func IsLegacy(cs tls.ConnectionState) bool {
	return cs.Version < tls.VersionTLS12 || !IsDefaultSuite(cs.CipherSuite)
}

// Count is the number of legacy handshakes observed so far.
func (l *Legacy) Count() int64 { return l.count.Load() }

// Observe records a handshake when it used legacy settings.
func (l *Legacy) Observe(ev Event) {
	l.count.Add(1)
	for _, f := range l.Observers {
		f(ev)
	}
	if l.Quiet {
		return
	}
	key := ev.Side + " " + ev.Host + " " + hostOnly(ev.RemoteAddr)
	if _, loaded := l.warned.LoadOrStore(key, true); loaded {
		return
	}
	w := l.Warn
	if w == nil {
		w = Stderr
	}
	peer := ev.Host
	if peer == "" {
		peer = ev.RemoteAddr
	} else if ev.RemoteAddr != "" {
		peer += " (" + ev.RemoteAddr + ")"
	}
	fmt.Fprintf(w, "tlsdefault: warning: legacy %s handshake with %s: %s, %s\n", ev.Side, peer, tls.VersionName(ev.Version), tls.CipherSuiteName(ev.CipherSuite))
}

func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
