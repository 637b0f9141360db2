package tlsdefault_test

import (
	"crypto/tls"
	"os"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// GODEBUG=tlsmlkem=0 removes the hybrid post-quantum key exchange from
// every connection of the process, which no tls.Config field can undo: a
// client or server without legacy.Allow is not built while it is set, and
// one built before it was set (os.Setenv, which crypto/tls reads at each
// handshake) fails its handshakes with the same message. Without it, a
// default client and server agree on X25519MLKEM768. (Second red-team
// pass: the groups were dropped silently; the child-process test with the
// environment variable is legacy's TestGODEBUGTLSMLKEM.)
func TestGODEBUGTLSMLKEMRefused(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}}
	t.Setenv("GODEBUG", "tlssecpmlkem=0") // accepted: X25519MLKEM768 stays
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := handshake(t, cfg, srv)
	if err != nil || cs.CurveID != tls.X25519MLKEM768 {
		t.Fatalf("control: %v, group %v", err, cs.CurveID)
	}
	scfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t, "localhost").TLS()))
	if err != nil {
		t.Fatal(err)
	}

	os.Setenv("GODEBUG", "tlsmlkem=0") // restored by t.Setenv's cleanup
	want := "GODEBUG tlsmlkem=0 (from the GODEBUG environment variable)"
	if _, err := handshake(t, cfg, srv); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a client built before GODEBUG=tlsmlkem=0 was set: %v", err)
	}
	plain := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
	if _, err := handshake(t, plain, scfg); err == nil {
		t.Errorf("a server built before GODEBUG=tlsmlkem=0 was set accepted a handshake")
	}
	if _, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM())); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "legacy.Allow") {
		t.Errorf("ClientConfig under GODEBUG=tlsmlkem=0: %v", err)
	}
	if _, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t).TLS())); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("ServerConfig under GODEBUG=tlsmlkem=0: %v", err)
	}
}
