package legacy_test

import (
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// wantPolicyError checks that err carries a *tlsdefault.PolicyError about
// an RSA key of 1024 bits.
func wantPolicyError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("connected; want the RSA-1024 chain refused")
	}
	pe, ok := errors.AsType[*tlsdefault.PolicyError](err)
	if !ok {
		t.Fatalf("error does not contain a *tlsdefault.PolicyError: %v", err)
	}
	if !strings.Contains(pe.Error(), "1024 bits") {
		t.Errorf("policy error does not name the key size: %v", pe)
	}
	t.Logf("refused: %v", err)
}

// A server in the scope of legacy.Allow may present an RSA key of 1024
// bits (OpenSSL's security level 1), as old appliances do; a server out of
// scope, through the same client, may not. The peer is openssl s_server
// with an RSA-1024 leaf, at TLS 1.0 and at its newest version.
func TestRSA1024InScopeOnly(t *testing.T) {
	openssl := peer(t, "openssl")
	ca := testpki.NewCA(t)
	leaf := ca.Issue(t, testpki.RSABits(1024), testpki.Names("old.test", "new.test"))
	certFile, keyFile := leaf.WriteFiles(t, t.TempDir())
	tls10 := opensslServer(t, openssl, "-cert", certFile, "-key", keyFile, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")
	modern := opensslServer(t, openssl, "-cert", certFile, "-key", keyFile, "-cipher", "DEFAULT:@SECLEVEL=0")
	scoped := []tlsdefault.Option{tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet())}

	t.Run("NewClient", func(t *testing.T) {
		for _, srv := range []struct {
			name, addr string
			version    uint16
		}{{"TLS1.0", tls10, tls.VersionTLS10}, {"modern", modern, tls.VersionTLS13}} {
			t.Run(srv.name, func(t *testing.T) {
				c := newClient(t, scoped...)
				redirect(t, c, map[string]string{"old.test": srv.addr, "new.test": srv.addr})
				resp, err := get(c, "https://old.test/")
				if err != nil {
					t.Fatalf("old.test is in scope: %v", err)
				}
				if resp.TLS.Version != srv.version || resp.TLS.PeerCertificates[0].PublicKeyAlgorithm.String() != "RSA" {
					t.Errorf("old.test: %s with a %v key", tls.VersionName(resp.TLS.Version), resp.TLS.PeerCertificates[0].PublicKeyAlgorithm)
				}
				_, err = get(c, "https://new.test/")
				if srv.version == tls.VersionTLS10 {
					// Out of scope, new.test is offered only TLS 1.2 and
					// later: refused before any certificate is seen.
					wantLegacyRefusal(t, err)
					return
				}
				wantPolicyError(t, err)
			})
		}
	})

	t.Run("TLSClientConfig", func(t *testing.T) {
		// NewClient's TLSClientConfig, used as it is (tls.Dial, or
		// net/http through a proxy), is never widened for a scope: the
		// TLS 1.0 server is refused under both names. The modern server
		// is reached under the name in scope, with its RSA-1024 key, and
		// refused by the chain policy under the other.
		cfg := newClient(t, scoped...).Transport.(*http.Transport).TLSClientConfig
		dial := func(addr, name string) (tls.ConnectionState, error) {
			c := cfg.Clone()
			c.ServerName = name
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, c)
			if err != nil {
				return tls.ConnectionState{}, err
			}
			defer conn.Close()
			return conn.ConnectionState(), nil
		}
		for _, name := range []string{"old.test", "new.test"} {
			if cs, err := dial(tls10, name); err == nil {
				t.Errorf("%s at TLS 1.0 through TLSClientConfig: connected with %s; want the strict config to refuse", name, tls.VersionName(cs.Version))
			}
		}
		if _, err := dial(modern, "old.test"); err != nil {
			t.Errorf("old.test (modern, in scope) through TLSClientConfig: %v", err)
		}
		_, err := dial(modern, "new.test")
		wantPolicyError(t, err)
	})

	t.Run("without Allow", func(t *testing.T) {
		c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()))
		redirect(t, c, map[string]string{"old.test": modern})
		_, err := get(c, "https://old.test/")
		wantPolicyError(t, err)
	})
}

// On a server, a client whose SNI name is in scope may present an RSA-1024
// client certificate; with another SNI name it is refused with a
// *tlsdefault.PolicyError.
func TestRSA1024ClientCertificateInScopeOnly(t *testing.T) {
	ca := testpki.NewCA(t)
	srvLeaf := ca.Server(t, "old.test", "new.test")
	client := ca.Issue(t, testpki.RSABits(1024), testpki.Names("alice"), testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth))
	cfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(srvLeaf.TLS()),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertPEM()),
		legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sni string
		ok  bool
	}{{"old.test", true}, {"new.test", false}} {
		cli := &tls.Config{RootCAs: ca.Pool(), ServerName: tc.sni, Certificates: []tls.Certificate{client.TLS()}}
		err := serverHandshake(t, cfg, cli)
		if tc.ok {
			if err != nil {
				t.Errorf("SNI %s is in scope: %v", tc.sni, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("SNI %s is out of scope, but its RSA-1024 client certificate was accepted", tc.sni)
			continue
		}
		wantPolicyError(t, err)
	}
}

// The RSA floor does not depend on VerifyConnection alone: with it
// replaced on a config with legacy.Allow, VerifyPeerCertificate still
// refuses a key under the 1024 bits legacy mode allows at most (here a
// 512-bit key, which exists only under GODEBUG=rsa1024min=0).
func TestRSAFloorWithoutVerifyConnection(t *testing.T) {
	t.Setenv("GODEBUG", "rsa1024min=0")
	ca := testpki.NewCA(t)
	leaf := ca.Issue(t, testpki.RSABits(512), testpki.Names("old.test"))
	// TLS 1.0 to 1.2: a scoped client's TLSClientConfig is strict (TLS
	// 1.2), an unscoped one's is widened; both reach the certificate.
	addr := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12}))
	for _, scopes := range [][]legacy.Scope{{legacy.ForHosts("old.test")}, nil} {
		cfg := newClient(t, tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(append(scopes, legacy.Quiet())...)).Transport.(*http.Transport).TLSClientConfig
		if scopes == nil {
			var err error
			if cfg, err = tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.Quiet())); err != nil {
				t.Fatal(err)
			}
		}
		cfg.ServerName = "old.test"
		cfg.VerifyConnection = func(tls.ConnectionState) error { return nil }
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
		if err == nil {
			conn.Close()
			t.Fatal("an RSA-512 server was accepted once VerifyConnection was replaced")
		}
		pe, ok := errors.AsType[*tlsdefault.PolicyError](err)
		if !ok || !strings.Contains(pe.Error(), "512 bits") {
			t.Errorf("want a policy error about the 512-bit key: %v", err)
		}
	}
}

// The explanation of a chain refused by the policy names the RSA floor in
// force for the host: legacy mode's (1024 bits) for a host in its scope,
// 2048 bits for the others. The chain is refused for an EC key under 256
// bits (a P-224 intermediate), which no scope allows.
func TestPolicyExplanationNamesFloorInForce(t *testing.T) {
	root := testpki.NewCA(t)
	weak := root.Intermediate(t, testpki.ECDSACurve(elliptic.P224()))
	leaf := weak.Server(t, "old.test", "new.test")
	addr := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}}))
	c := newClient(t, tlsdefault.WithCAData(root.CertPEM()), legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet()))
	redirect(t, c, map[string]string{"old.test": addr, "new.test": addr})
	for host, want := range map[string]string{"old.test": "at least 1024 bits", "new.test": "at least 2048 bits"} {
		_, err := get(c, "https://"+host+"/")
		he, ok := errors.AsType[*tlsdefault.HandshakeError](err)
		if !ok || he.Cause != tlsdefault.CausePolicy || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want a policy refusal naming an RSA key of %s", host, err, want)
		}
	}
}
