package tlsdefault_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// A VerifyConnection that the user wraps around ours, on the transport's
// config, is called (certificate pinning, authorisation), and ours still
// runs inside it.
func TestTransportKeepsWrappedVerifyConnection(t *testing.T) {
	ca := testpki.NewCA(t)
	addr := serveHTTPS(t, plainServer(ca.Server(t)), nil)
	for _, opts := range [][]tlsdefault.Option{
		{tlsdefault.WithCAData(ca.CertPEM())},
		{tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.Quiet())}, // widened (NewTransport refuses ForHosts)
	} {
		tr, err := tlsdefault.NewTransport(opts...)
		if err != nil {
			t.Fatal(err)
		}
		ours := tr.TLSClientConfig.VerifyConnection
		minBefore := tr.TLSClientConfig.MinVersion
		called := 0
		pinErr := errors.New("pin mismatch")
		tr.TLSClientConfig.VerifyConnection = func(cs tls.ConnectionState) error {
			called++
			if err := ours(cs); err != nil {
				return err
			}
			return pinErr
		}
		_, _, err = get(t, &http.Client{Transport: tr}, "https://127.0.0.1:"+port(addr))
		if !errors.Is(err, pinErr) || called != 1 {
			t.Fatalf("wrapped VerifyConnection called %d times, err %v", called, err)
		}
		if tr.TLSClientConfig.MinVersion != minBefore {
			t.Fatalf("the dial changed the transport's config in place: min %x, was %x", tr.TLSClientConfig.MinVersion, minBefore)
		}
	}
}

// A floor raised in place on the transport's config holds, also for a host
// in the scope of legacy.Allow: on NewTransport's widened config (Allow
// without scope), and on NewClient's, whose dialler widens its clone for
// a host of legacy.ForHosts.
func TestTransportKeepsRaisedFloor(t *testing.T) {
	ca := testpki.NewCA(t)
	addr := serveHTTPS(t, &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "old.test").TLS()}, MaxVersion: tls.VersionTLS12}, nil)
	tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range map[string]*http.Transport{"NewTransport(Allow())": tr, "NewClient(Allow(ForHosts))": c.Transport.(*http.Transport)} {
		tr.TLSClientConfig.MinVersion = tls.VersionTLS13
		tr.TLSClientConfig.ServerName = "old.test"
		_, _, err = get(t, &http.Client{Transport: tr}, "https://127.0.0.1:"+port(addr))
		if err == nil {
			t.Errorf("%s: TLS 1.2 server accepted after MinVersion was raised to TLS 1.3", name)
		}
		tr.CloseIdleConnections()
	}
}

// With a hashed capath the name checked is the ServerName set on the
// transport's config, as crypto/tls does, not the address dialled.
func TestLazyCAPathChecksServerName(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	ca.WriteFile(t, dir, "ca.pem")
	if err := capool.Rehash(dir); err != nil {
		t.Fatal(err)
	}
	addr := serveHTTPS(t, plainServer(ca.Server(t, "127.0.0.1")), nil)
	tr, err := tlsdefault.NewTransport(tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	tr.TLSClientConfig.ServerName = "api.internal"
	_, _, err = get(t, &http.Client{Transport: tr}, "https://127.0.0.1:"+port(addr))
	he := mustAs[x509.HostnameError](t, err)
	if he.Host != "api.internal" {
		t.Fatalf("checked %q", he.Host)
	}
}

// On a server with legacy.Allow, changes made to the returned config after
// construction hold: a wrapped VerifyConnection and a raised floor.
func TestServerLegacyKeepsChanges(t *testing.T) {
	ca := testpki.NewCA(t)
	cfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t, "old.test").TLS()),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertPEM()),
		legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	ours := cfg.VerifyConnection
	denied := errors.New("not authorised")
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if err := ours(cs); err != nil {
			return err
		}
		if cs.PeerCertificates[0].Subject.CommonName != "alice" {
			return denied
		}
		return nil
	}
	client := &tls.Config{RootCAs: ca.Pool(), ServerName: "old.test", MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{ca.Client(t, "mallory").TLS()}}
	if _, err := handshake(t, client, cfg); err == nil {
		t.Fatal("wrapped VerifyConnection of the server was skipped")
	}
	client.Certificates = []tls.Certificate{ca.Client(t, "alice").TLS()}
	if _, err := handshake(t, client, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.MinVersion = tls.VersionTLS13
	_, err = handshake(t, client, cfg)
	if err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("raised floor ignored: %v", err)
	}
}
