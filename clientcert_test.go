package tlsdefault_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// The client certificate goes only to a server whose CertificateRequest
// names a CA that issued it (or a certificate of its chain), or names no
// CA; a server that names only unrelated CAs gets none.
func TestClientCertificateOnlyToAcceptableCA(t *testing.T) {
	ours := testpki.NewCA(t)
	inter := ours.Intermediate(t)
	unrelated := testpki.NewCA(t)
	direct := ours.Client(t, "alice")
	chained := inter.Client(t, "bob")
	pool := func(cas ...*testpki.CA) *x509.CertPool {
		p := x509.NewCertPool()
		for _, ca := range cas {
			p.AddCert(ca.Cert)
		}
		return p
	}
	tests := []struct {
		name      string
		leaf      *testpki.Leaf
		clientCAs *x509.CertPool // nil: the server names no CA
		wantSent  bool
	}{
		{"unrelated-ca", direct, pool(unrelated), false},
		{"our-ca", direct, pool(ours), true},
		{"our-ca-among-others", direct, pool(unrelated, ours), true},
		{"no-ca-named", direct, nil, true},
		{"root-of-chain", chained, pool(ours), true},
		{"intermediate-of-chain", chained, pool(inter), true},
		{"chain-unrelated-ca", chained, pool(unrelated), false},
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s", tls.VersionName(v), tt.name), func(t *testing.T) {
				cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ours.CertPEM()), tlsdefault.WithCertificate(tt.leaf.TLS()))
				if err != nil {
					t.Fatal(err)
				}
				var got []*x509.Certificate
				srv := &tls.Config{
					Certificates: []tls.Certificate{ours.Server(t).TLS()},
					MaxVersion:   v,
					ClientAuth:   tls.RequestClientCert,
					ClientCAs:    tt.clientCAs,
					VerifyConnection: func(cs tls.ConnectionState) error {
						got = cs.PeerCertificates
						return nil
					},
				}
				if _, err := handshake(t, cfg, srv); err != nil {
					t.Fatal(err)
				}
				if sent := len(got) > 0; sent != tt.wantSent {
					t.Fatalf("client certificate sent: %v, want %v", sent, tt.wantSent)
				}
				if tt.wantSent && !got[0].Equal(tt.leaf.Cert) {
					t.Fatalf("sent %q", got[0].Subject)
				}
			})
		}
	}
}

// With several identities, the client presents the one the server's CAs
// issued.
func TestClientCertificateChosenByCA(t *testing.T) {
	a, b := testpki.NewCA(t), testpki.NewCA(t)
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(a.CertPEM()),
		tlsdefault.WithCertificate(a.Client(t, "from-a").TLS()), tlsdefault.WithCertificate(b.Client(t, "from-b").TLS()))
	if err != nil {
		t.Fatal(err)
	}
	for _, ca := range []*testpki.CA{a, b} {
		srv, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(a.Server(t).TLS()),
			tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertPEM()))
		if err != nil {
			t.Fatal(err)
		}
		var cn string
		inner := srv.VerifyConnection
		srv.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) > 0 {
				cn = cs.PeerCertificates[0].Subject.CommonName
			}
			return inner(cs)
		}
		if _, err := handshake(t, cfg, srv); err != nil {
			t.Fatal(err)
		}
		if want := "from-" + map[*testpki.CA]string{a: "a", b: "b"}[ca]; cn != want {
			t.Fatalf("presented %q, want %q", cn, want)
		}
	}
}
