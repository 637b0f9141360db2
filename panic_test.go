package tlsdefault_test

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// serverSide runs one handshake and returns the server's error.
func serverSide(t *testing.T, client, server *tls.Config) error {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	a.SetDeadline(time.Now().Add(10 * time.Second))
	b.SetDeadline(time.Now().Add(10 * time.Second))
	cfg := client.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost"
	}
	go func() {
		tc := tls.Client(a, cfg)
		if tc.Handshake() == nil {
			var buf [1]byte
			tc.Read(buf[:])
		}
		a.Close()
	}()
	return tls.Server(b, server).Handshake()
}

// A panicking peer check refuses the peer with a *PeerCheckError that
// says so (the value escaped), on both sides, and the process goes on.
func TestPeerCheckPanicRefuses(t *testing.T) {
	ca := testpki.NewCA(t)
	boom := tlsdefault.WithPeerCheck(func(cs tls.ConnectionState) error {
		_ = cs.PeerCertificates[0].Subject // panics without a certificate
		panic("boom\x1b[31m")
	})
	scfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithClientAuth(tls.VerifyClientCertIfGiven), tlsdefault.WithCAData(ca.CertDER()), boom)
	if err != nil {
		t.Fatal(err)
	}
	err = serverSide(t, &tls.Config{RootCAs: ca.Pool()}, scfg)
	pe := mustAs[*tlsdefault.PeerCheckError](t, err)
	if pe.Peer != "client" || !strings.Contains(err.Error(), "panicked") || !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("server: %v", err)
	}
	var re interface{ RuntimeError() }
	if !errors.As(err, &re) {
		t.Errorf("server: the runtime error is not reachable: %v", err)
	}

	ccfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertDER()), tlsdefault.WithPeerCheck(func(tls.ConnectionState) error { panic("boom\x1b[31m\n") }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = handshake(t, ccfg, plainServer(ca.Server(t)))
	mustAs[*tlsdefault.PeerCheckError](t, err)
	if msg := err.Error(); !strings.Contains(msg, `panicked`) || !strings.Contains(msg, `"boom\x1b[31m\n"`) || strings.ContainsAny(msg, "\x1b\n") {
		t.Errorf("client: %q", msg)
	}
}

type panicSource struct{}

func (panicSource) GetCertificate(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
	_ = h.SupportedProtos[0] // the client offers no ALPN: index out of range
	return nil, nil
}

// A certificate source that panics fails the handshake with
// CauseCertificateSource; the process goes on.
func TestCertificateSourcePanicRefuses(t *testing.T) {
	ca := testpki.NewCA(t)
	scfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificateSource(panicSource{}))
	if err != nil {
		t.Fatal(err)
	}
	err = serverSide(t, &tls.Config{RootCAs: ca.Pool()}, scfg)
	if err == nil || !strings.Contains(err.Error(), "panicked") || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("server: %v", err)
	}
	if he := tlsdefault.Diagnose(err); he == nil || he.Cause != tlsdefault.CauseCertificateSource {
		t.Errorf("Diagnose: %+v", he)
	}
}
