package interop

import (
	"context"
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
)

// A *certmagic.Config is a certificate source as it is.
var _ tlsdefault.CertificateSource = (*certmagic.Config)(nil)

// TestCertmagicTLSALPN01: a certmagic.Config with on-demand issuance,
// behind tlsdefault's listener, obtains a certificate from Pebble by
// TLS-ALPN-01 during the first handshake for a name its DecisionFunc
// allows, serves it over HTTP/2, and refuses any other name with an
// explained log line.
func TestCertmagicTLSALPN01(t *testing.T) {
	const name = "certmagic.example.com"
	inner, tlsPort := reservePort(t)
	p := startPebble(t, tlsPort)

	// certmagic takes no HTTP client for its ACME calls: it builds its own
	// transport from TrustedRoots, here Pebble's own test CA.
	pebbleCA, err := capool.Load(capool.Sources{CAFile: p.caFile})
	if err != nil {
		t.Fatal(err)
	}

	// Its own cache (with its maintenance goroutine, stopped at the end),
	// storage in a temporary directory, and its log kept in memory (shown
	// when the test fails or runs with -v).
	core, entries := observer.New(zapcore.InfoLevel)
	logger := zap.New(core)
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			for _, e := range entries.All() {
				t.Logf("certmagic: %s %s %v", e.Level, e.Message, e.ContextMap())
			}
		}
	})
	var cfg *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
		Logger:           logger,
	})
	t.Cleanup(cache.Stop)
	cfg = certmagic.New(cache, certmagic.Config{
		Storage: &certmagic.FileStorage{Path: t.TempDir()},
		OnDemand: &certmagic.OnDemandConfig{DecisionFunc: func(_ context.Context, n string) error {
			if n != name {
				return fmt.Errorf("%q is not a name this server serves", n)
			}
			return nil
		}},
		// Pebble's certificates name no OCSP responder; nothing to fetch.
		OCSP:   certmagic.OCSPConfig{DisableStapling: true},
		Logger: logger,
	})
	cfg.Issuers = []certmagic.Issuer{certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
		CA:                   p.dirURL,
		Agreed:               true,
		DisableHTTPChallenge: true,
		TrustedRoots:         pebbleCA.CertPoolFor(x509.ExtKeyUsageServerAuth),
		// The TLS-ALPN-01 challenge is answered by cfg.GetCertificate on
		// the library's listener: certmagic finds the address in use,
		// connects once to see that something answers there (the listener
		// logs that probe as a client that closed during the handshake),
		// and starts no challenge server of its own.
		ListenHost:        "127.0.0.1",
		AltTLSALPNPort:    tlsPort,
		CertObtainTimeout: 60 * time.Second,
		Logger:            logger,
	})}

	logs := serveSource(t, inner, cfg)
	client, tr := pinnedClient(t, p.root, inner.Addr().String())

	t.Run("first handshake obtains the certificate", func(t *testing.T) {
		checkServed(t, client, logs, name)
		// Pebble validated through the library's listener: certmagic's
		// GetCertificate answered its acme-tls/1 handshakes.
		served := entries.FilterMessage("served key authentication certificate").FilterField(zap.String("challenge", "tls-alpn-01")).Len()
		if served == 0 {
			t.Fatal("certmagic never served a TLS-ALPN-01 challenge certificate on the library's listener")
		}
		t.Logf("%d TLS-ALPN-01 validation handshakes", served)
	})
	t.Run("second handshake is served from the cache", func(t *testing.T) {
		checkCached(t, client, tr, name)
	})
	t.Run("name refused by DecisionFunc", func(t *testing.T) {
		checkRefused(t, client, logs, "other.example.com", "not a name this server serves")
	})
}
