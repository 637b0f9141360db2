package legacy_test

import (
	"crypto/fips140"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// TestForHostsPublicSuffix checks that a pattern cannot open legacy mode to
// every name under a public suffix, ICANN's or a hosting provider's.
func TestForHostsPublicSuffix(t *testing.T) {
	for pattern, says := range map[string]string{
		"*.co.uk":                 "ICANN",
		"*.CO.UK.":                "ICANN",
		"*.com.au":                "ICANN",
		"*.github.io":             "private",
		"*.s3.amazonaws.com":      "private",
		"*.blogspot.com":          "private",
		"*.kawasaki.jp":           "wildcard rule",
		"*.compute.amazonaws.com": "wildcard rule",
		"*.公司.cn":                 "ICANN",
		"*.com":                   "top-level domain",
		"*.example":               "top-level domain",
	} {
		_, err := tlsdefault.NewClient(legacy.Allow(legacy.ForHosts(pattern)))
		if err == nil {
			t.Errorf("ForHosts(%q) accepted; want it refused as too broad", pattern)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "legacy: ForHosts: ") || !strings.Contains(msg, "too broad") || !strings.Contains(msg, says) {
			t.Errorf("ForHosts(%q): error %q; want it to start \"legacy: ForHosts: \" and say \"too broad\" and %q", pattern, msg, says)
		}
	}
	for _, pattern := range []string{"*.example.co.uk", "*.user.github.io", "*.bucket.s3.amazonaws.com", "*.example.com",
		"*.corp.internal", "*.old.test", "*.www.ck", "*.bücher.example", "*.city.kawasaki.jp"} {
		if _, err := tlsdefault.NewClient(legacy.Allow(legacy.ForHosts(pattern))); err != nil {
			t.Errorf("ForHosts(%q): %v", pattern, err)
		}
	}
}

// TestForHostsIDNA checks that internationalised names are accepted in
// Unicode or as A-labels, and that invalid labels are refused with the
// reason.
func TestForHostsIDNA(t *testing.T) {
	for _, name := range []string{"bücher.example", "BÜCHER.example.", "xn--bcher-kva.example", "*.bücher.example", "пример.рф"} {
		if _, err := tlsdefault.NewClient(legacy.Allow(legacy.ForHosts(name))); err != nil {
			t.Errorf("ForHosts(%q): %v", name, err)
		}
	}
	for name, reason := range map[string]string{
		"a\u200db.example":   "joiner",
		"\u05d0a.example":    "bidi",
		"\u0301a.example":    "combining mark",
		"xn--zz.example":     "punycode",
		"-ü.example":         "hyphen",
		"a\u2028b.example":   "U+2028",
		"*.a\u200db.example": "joiner",
		"\xff.example":       "UTF-8",
	} {
		_, err := tlsdefault.ClientConfig(legacy.Allow(legacy.ForHosts(name))) // the name's error comes first
		if err == nil {
			t.Errorf("ForHosts(%q) accepted; want an error", name)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "legacy: ForHosts: ") || !strings.Contains(msg, reason) {
			t.Errorf("ForHosts(%q): error %q does not start \"legacy: ForHosts: \" and say %q", name, msg, reason)
		}
	}
}

// TestForHostsUnicodeClient connects to a TLS 1.0-only server named
// xn--bcher-kva.example through a client whose scope names it in Unicode,
// by its Unicode URL: net/http dials the A-label, which the scope matches.
// Another name on the same server stays refused.
func TestForHostsUnicodeClient(t *testing.T) {
	if fips140.Enabled() {
		t.Skip("FIPS 140-3 mode (GODEBUG=fips140=on) has no TLS 1.0")
	}
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "xn--bcher-kva.example", "xn--caf-dma.example")
	tls10 := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}))
	var n legacy.Counter
	c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()),
		legacy.Allow(legacy.ForHosts("Bücher.example"), legacy.Quiet(), legacy.Observe(&n)))
	redirect(t, c, map[string]string{"xn--bcher-kva.example": tls10, "xn--caf-dma.example": tls10})

	for _, u := range []string{"https://bücher.example/", "https://xn--bcher-kva.example/"} {
		resp, err := get(c, u)
		if err != nil {
			t.Fatalf("%s is in scope: %v", u, err)
		}
		if resp.TLS.Version != tls.VersionTLS10 {
			t.Errorf("%s: negotiated %s, want TLS 1.0", u, tls.VersionName(resp.TLS.Version))
		}
		c.CloseIdleConnections() // a new handshake for the next URL
	}
	_, err := get(c, "https://café.example/")
	wantLegacyRefusal(t, err)
	if peers := n.Peers(); n.Count() != 2 || peers["xn--bcher-kva.example"].Count != 2 {
		t.Errorf("Counter: %d handshakes, peers %v; want two with xn--bcher-kva.example", n.Count(), peers)
	}
}
