package tlsdefault_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// hashedDir makes a capath directory in which each CA is only under its
// hashed name (<hash>.0, no plain file), as a directory that
// `openssl rehash` was run on and whose originals were removed.
func hashedDir(t *testing.T, cas ...*testpki.CA) (dir string, files []string) {
	t.Helper()
	dir = t.TempDir()
	for _, ca := range cas {
		p := filepath.Join(dir, fmt.Sprintf("%08x.0", capool.SubjectHash(ca.Cert)))
		if err := os.WriteFile(p, ca.CertPEM(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	return dir, files
}

func verdict(err error) string {
	if err == nil {
		return "accepted"
	}
	return "refused"
}

// A hashed capath gives the same verdict as crypto/tls with the same roots
// for every name, as a cafile does (ClientConfig and NewTransport): the
// name checked is ServerName as given, not the name sent in SNI (which
// loses trailing dots and IP addresses).
func TestNameParityWithCryptoTLS(t *testing.T) {
	ca := testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	leaf := ca.Server(t, "localhost", "*.wild.test", "127.0.0.1", "::1")
	addr := serveHTTPS(t, plainServer(leaf), nil)
	names := []string{
		"localhost", "localhost.", "localhost..", "LOCALHOST", ".localhost",
		"a.wild.test", "a.wild.test.", "a.wild.test..", "b.a.wild.test", "wild.test",
		"127.0.0.1", "127.0.0.1.", "[127.0.0.1]", "::1", "[::1]", "127.0.0.2",
	}
	trust := map[string]tlsdefault.Option{"cafile": tlsdefault.WithCAFile(caFile), "capath": tlsdefault.WithCAPath(dir)}
	for _, name := range names {
		_, err := handshake(t, &tls.Config{RootCAs: ca.Pool(), ServerName: name}, plainServer(leaf))
		want := verdict(err)
		for src, opt := range trust {
			cfg, err := tlsdefault.ClientConfig(opt)
			if err != nil {
				t.Fatal(err)
			}
			cfg.ServerName = name
			_, err = handshake(t, cfg, plainServer(leaf))
			if got := verdict(err); got != want {
				t.Errorf("ClientConfig(%s), ServerName %q: %s (%v); crypto/tls: %s", src, name, got, err, want)
			}
			tr, err := tlsdefault.NewTransport(opt)
			if err != nil {
				t.Fatal(err)
			}
			tr.TLSClientConfig.ServerName = name
			_, _, err = get(t, &http.Client{Transport: tr}, "https://"+addr)
			if got := verdict(err); got != want {
				t.Errorf("NewTransport(%s), ServerName %q: %s (%v); crypto/tls: %s", src, name, got, err, want)
			}
			tr.CloseIdleConnections()
		}
	}
}

// A server with a hashed capath sends the client the same alert as one
// with a cafile (and as crypto/tls): unknown_ca for a client certificate
// from an unknown CA, certificate_expired for an expired one.
func TestServerAlertParity(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	serverCert := ca.Server(t).TLS()
	clients := map[string]tls.Certificate{
		"unknown-ca": other.Client(t, "mallory").TLS(),
		"expired":    ca.Issue(t, testpki.Expired(), testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth), testpki.Names()).TLS(),
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for name, cert := range clients {
			t.Run(tls.VersionName(v)+"/"+name, func(t *testing.T) {
				client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MaxVersion: v,
					GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }}
				stdlib := &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
				_, err := handshake(t, client, stdlib)
				want := alertText(t, err)
				for src, opt := range map[string]tlsdefault.Option{"cafile": tlsdefault.WithCAFile(caFile), "capath": tlsdefault.WithCAPath(dir)} {
					srv, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(serverCert), tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), opt)
					if err != nil {
						t.Fatal(err)
					}
					_, err = handshake(t, client, srv)
					if got := alertText(t, err); got != want {
						t.Errorf("%s server: client saw %q, crypto/tls sends %q", src, got, want)
					}
				}
			})
		}
	}
}

// alertText is the alert a client's handshake error reports.
func alertText(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("handshake succeeded, want an alert")
	}
	s := err.Error()
	i := strings.Index(s, "remote error: ")
	if i < 0 {
		t.Fatalf("no alert from the server: %v", err)
	}
	return s[i:]
}

// mutation is one field assignment a user might make on a returned config.
type mutation struct {
	name  string
	apply func(cfg *tls.Config)
}

// No single field assignment on a client config makes it accept a server
// that crypto/tls with the same roots (and the same assignment) refuses;
// with a hashed capath as with a cafile, on ClientConfig and on
// NewTransport's TLSClientConfig.
func TestClientAssignmentsCannotWeaken(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
	dir, _ := hashedDir(t, ca, rsaCA)
	caFile := t.TempDir() + "/ca.pem"
	os.WriteFile(caFile, append(ca.CertPEM(), rsaCA.CertPEM()...), 0o644)
	servers := map[string]*tls.Config{
		"good":        plainServer(ca.Server(t)),
		"unknown-ca":  plainServer(other.Server(t)),
		"self-issued": plainServer(testpki.NewCA(t).Server(t, "localhost", "127.0.0.1")),
		"wrong-host":  plainServer(ca.Issue(t, testpki.WrongHost())),
		"expired":     plainServer(ca.Issue(t, testpki.Expired())),
		"rsa1024":     plainServer(rsaCA.Issue(t, testpki.RSABits(1024))),
	}
	future := time.Now().AddDate(30, 0, 0)
	mutations := []mutation{
		{"none", func(*tls.Config) {}},
		{"VerifyConnection=accept", func(c *tls.Config) { c.VerifyConnection = func(tls.ConnectionState) error { return nil } }},
		{"VerifyConnection=nil", func(c *tls.Config) { c.VerifyConnection = nil }},
		{"VerifyPeerCertificate=nil", func(c *tls.Config) { c.VerifyPeerCertificate = nil }},
		{"RootCAs=other", func(c *tls.Config) { c.RootCAs = other.Pool() }},
		{"Time=future", func(c *tls.Config) { c.Time = func() time.Time { return future } }},
		{"InsecureSkipVerify=true", func(c *tls.Config) { c.InsecureSkipVerify = true }},
		{"ServerName=other", func(c *tls.Config) { c.ServerName = "other.test" }},
	}
	addrs := map[string]string{}
	for name, srv := range servers {
		addrs[name] = serveHTTPS(t, srv, nil)
	}
	for _, m := range mutations {
		for name, srv := range servers {
			std := &tls.Config{RootCAs: tlsdefaultRoots(ca, rsaCA)}
			m.apply(std)
			if std.ServerName == "" {
				std.ServerName = "localhost"
			}
			_, err := handshake(t, std, srv)
			stdOK := err == nil
			for src, opt := range map[string]tlsdefault.Option{"cafile": tlsdefault.WithCAFile(caFile), "capath": tlsdefault.WithCAPath(dir)} {
				cfg, err := tlsdefault.ClientConfig(opt)
				if err != nil {
					t.Fatal(err)
				}
				m.apply(cfg)
				_, err = handshake(t, cfg, srv)
				if err == nil && !stdOK {
					t.Errorf("ClientConfig(%s) with %s accepted the %s server, which crypto/tls refuses", src, m.name, name)
				}
				if m.name == "InsecureSkipVerify=true" && (err == nil || !strings.Contains(err.Error(), "InsecureSkipVerify")) {
					t.Errorf("ClientConfig(%s) with %s, %s server: %v; want a refusal that names InsecureSkipVerify", src, m.name, name, err)
				}
				tr, err := tlsdefault.NewTransport(opt)
				if err != nil {
					t.Fatal(err)
				}
				m.apply(tr.TLSClientConfig)
				_, _, err = get(t, &http.Client{Transport: tr}, "https://localhost:"+port(addrs[name]))
				if err == nil && !stdOK {
					t.Errorf("NewTransport(%s) with %s accepted the %s server, which crypto/tls refuses", src, m.name, name)
				}
				tr.CloseIdleConnections()
				nc, err := tlsdefault.NewClient(opt)
				if err != nil {
					t.Fatal(err)
				}
				m.apply(nc.Transport.(*http.Transport).TLSClientConfig)
				_, _, err = get(t, nc, "https://localhost:"+port(addrs[name]))
				if err == nil && !stdOK {
					t.Errorf("NewClient(%s) with %s accepted the %s server, which crypto/tls refuses", src, m.name, name)
				}
				nc.CloseIdleConnections()
			}
		}
	}
	// RootCAs set on a capath config are honoured, not ignored: the
	// other CA's server is accepted.
	otherAddr := serveHTTPS(t, plainServer(other.Server(t)), nil)
	cfg, _ := tlsdefault.ClientConfig(tlsdefault.WithCAPath(dir))
	cfg.RootCAs = other.Pool()
	if _, err := handshake(t, cfg, plainServer(other.Server(t))); err != nil {
		t.Errorf("RootCAs set on a capath ClientConfig not honoured: %v", err)
	}
	tr, _ := tlsdefault.NewTransport(tlsdefault.WithCAPath(dir))
	tr.TLSClientConfig.RootCAs = other.Pool()
	if _, _, err := get(t, &http.Client{Transport: tr}, "https://localhost:"+port(otherAddr)); err != nil {
		t.Errorf("RootCAs set on a capath transport not honoured: %v", err)
	}
}

func tlsdefaultRoots(cas ...*testpki.CA) *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range cas {
		p.AddCert(ca.Cert)
	}
	return p
}

// No single field assignment on a server config makes it accept a client
// certificate that crypto/tls with the same client CAs refuses, with a
// hashed capath as with a cafile.
func TestServerAssignmentsCannotWeaken(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	serverCert := ca.Server(t).TLS()
	clients := map[string]tls.Certificate{
		"good":        ca.Client(t, "alice").TLS(),
		"unknown-ca":  other.Client(t, "mallory").TLS(),
		"self-issued": testpki.NewCA(t).Client(t, "eve").TLS(),
		"expired":     ca.Issue(t, testpki.Expired(), testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth), testpki.Names()).TLS(),
	}
	mutations := []mutation{
		{"none", func(*tls.Config) {}},
		{"VerifyConnection=accept", func(c *tls.Config) { c.VerifyConnection = func(tls.ConnectionState) error { return nil } }},
		{"VerifyPeerCertificate=nil", func(c *tls.Config) { c.VerifyPeerCertificate = nil }},
		{"GetConfigForClient=nil", func(c *tls.Config) { c.GetConfigForClient = nil }},
		{"ClientCAs=other", func(c *tls.Config) { c.ClientCAs = other.Pool() }},
		{"ClientAuth=VerifyClientCertIfGiven", func(c *tls.Config) { c.ClientAuth = tls.VerifyClientCertIfGiven }},
		{"ClientAuth=RequestClientCert", func(c *tls.Config) { c.ClientAuth = tls.RequestClientCert }},
	}
	for _, m := range mutations {
		for name, cert := range clients {
			client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost",
				GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }}
			std := &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
			m.apply(std)
			_, err := handshake(t, client, std)
			stdOK := err == nil
			for src, opt := range map[string]tlsdefault.Option{"cafile": tlsdefault.WithCAFile(caFile), "capath": tlsdefault.WithCAPath(dir)} {
				srv, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(serverCert), tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), opt)
				if err != nil {
					t.Fatal(err)
				}
				m.apply(srv)
				_, err = handshake(t, client, srv)
				if err == nil && !stdOK && m.name != "ClientAuth=RequestClientCert" {
					t.Errorf("ServerConfig(%s) with %s accepted the %s client, which crypto/tls refuses", src, m.name, name)
				}
				if m.name == "ClientAuth=RequestClientCert" && err == nil {
					t.Errorf("ServerConfig(%s) with %s accepted the %s client certificate without verifying it", src, m.name, name)
				}
			}
		}
	}
}

// A CA deleted from a hashed capath is refused from the next handshake on:
// by a transport (a new connection does not resume the old session into
// acceptance), by a ClientConfig, and by a listener.
func TestCAPathDeletionTakesEffect(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			ca := testpki.NewCA(t)
			dir, files := hashedDir(t, ca)
			srv := plainServer(ca.Server(t))
			srv.MaxVersion = v
			var resumed []bool
			addr := serveHTTPS(t, srv, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { resumed = append(resumed, r.TLS.DidResume) }))
			client, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, _, err := get(t, client, "https://localhost:"+port(addr)); err != nil {
					t.Fatal(err)
				}
				client.CloseIdleConnections()
			}
			if len(resumed) != 2 || !resumed[1] {
				t.Fatalf("DidResume %v: the test needs a resumable session", resumed)
			}
			if _, err := handshake(t, cfg, srv); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(files[0]); err != nil {
				t.Fatal(err)
			}
			if _, _, err := get(t, client, "https://localhost:"+port(addr)); err == nil {
				t.Fatalf("transport accepted a server whose CA was deleted from the capath (resumed: %v)", resumed)
			}
			if _, err := handshake(t, cfg, srv); err == nil {
				t.Fatal("ClientConfig accepted a server whose CA was deleted from the capath")
			}
		})
	}
	ca := testpki.NewCA(t)
	dir, files := hashedDir(t, ca)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAPath(dir), tlsdefault.WithErrorLog(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveListener(t, ln, nil)
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithCertificate(ca.Client(t, "alice").TLS()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(t, client, "https://"+addr); err != nil {
		t.Fatal(err)
	}
	client.CloseIdleConnections()
	os.Remove(files[0])
	if _, _, err := get(t, client, "https://"+addr); err == nil {
		t.Fatal("listener accepted a client whose CA was deleted from the capath")
	}
	// A self-signed server certificate trusted as it is (crypto/x509 does
	// not build a chain for it): deleted, it is refused too.
	self := testpki.NewCA(t, testpki.Names("localhost"))
	selfDir, selfFiles := hashedDir(t, self)
	// (No resumption: without VerifyConnection, a resumed session is
	// checked by crypto/tls against the CAs read when the config was made.)
	selfServer := &tls.Config{SessionTicketsDisabled: true, Certificates: []tls.Certificate{{Certificate: [][]byte{self.Cert.Raw}, PrivateKey: self.Key, Leaf: self.Cert}}}
	selfCfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAPath(selfDir))
	if err != nil {
		t.Fatal(err)
	}
	selfCfg.VerifyConnection = nil // only VerifyPeerCertificate's check is left
	if _, err := handshake(t, selfCfg, selfServer); err != nil {
		t.Fatalf("self-signed server before deletion: %v", err)
	}
	os.Remove(selfFiles[0])
	if _, err := handshake(t, selfCfg, selfServer); err == nil {
		t.Fatal("a self-signed certificate deleted from the capath was accepted")
	}
	// Added back, it is trusted again by the same listener.
	os.WriteFile(files[0], ca.CertPEM(), 0o644)
	client.CloseIdleConnections()
	if _, _, err := get(t, client, "https://"+addr); err != nil {
		t.Fatalf("CA added back not trusted: %v", err)
	}
}

// A session cache shared between configs with different trust never
// resumes into acceptance: a session a config trusting X made with X's
// server is not accepted by a config that trusts only Y, with a cafile or a
// hashed capath.
func TestSharedSessionCacheKeepsTrust(t *testing.T) {
	x, y := testpki.NewCA(t), testpki.NewCA(t)
	xDir, _ := hashedDir(t, x)
	yDir, _ := hashedDir(t, y)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		srv := plainServer(x.Server(t))
		srv.MaxVersion = v
		for src, opts := range map[string][2]tlsdefault.Option{
			"cadata": {tlsdefault.WithCAData(x.CertPEM()), tlsdefault.WithCAData(y.CertPEM())},
			"capath": {tlsdefault.WithCAPath(xDir), tlsdefault.WithCAPath(yDir)},
		} {
			trustsX, err := tlsdefault.ClientConfig(opts[0])
			if err != nil {
				t.Fatal(err)
			}
			trustsY, err := tlsdefault.ClientConfig(opts[1])
			if err != nil {
				t.Fatal(err)
			}
			trustsY.ClientSessionCache = trustsX.ClientSessionCache
			var cs tls.ConnectionState
			for range 2 {
				if cs, err = handshake(t, trustsX, srv); err != nil {
					t.Fatal(err)
				}
			}
			if !cs.DidResume {
				t.Fatalf("%s %s: no resumption with the same config; the test needs one", tls.VersionName(v), src)
			}
			if cs, err := handshake(t, trustsY, srv); err == nil {
				t.Errorf("%s %s: a config trusting only Y accepted X's server (resumed: %v)", tls.VersionName(v), src, cs.DidResume)
			}
		}
	}
}
