package tlsdefault_test

import (
	"crypto/fips140"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// NewClient with a hashed capath verifies each connection with capool's
// lookup by hash, and gives crypto/tls's verdict (with a cafile) for every
// name set as TLSClientConfig.ServerName: trailing dots, IP addresses,
// wildcards, brackets.
func TestNewClientNameParity(t *testing.T) {
	ca := testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	leaf := ca.Server(t, "localhost", "*.wild.test", "127.0.0.1", "::1")
	addr := serveHTTPS(t, plainServer(leaf), nil)
	names := []string{
		"localhost", "localhost.", "localhost..", "LOCALHOST", ".localhost",
		"a.wild.test", "a.wild.test.", "a.wild.test..", "b.a.wild.test", "wild.test",
		"127.0.0.1", "127.0.0.1.", "[127.0.0.1]", "::1", "[::1]", "127.0.0.2",
	}
	for _, name := range names {
		_, err := handshake(t, &tls.Config{RootCAs: ca.Pool(), ServerName: name}, plainServer(leaf))
		want := verdict(err)
		nc, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		nc.Transport.(*http.Transport).TLSClientConfig.ServerName = name
		_, _, err = get(t, nc, "https://"+addr)
		if got := verdict(err); got != want {
			t.Errorf("NewClient(capath), ServerName %q: %s (%v); crypto/tls: %s", name, got, err, want)
		}
		if want == "refused" {
			mustAs[x509.HostnameError](t, err)
		}
		nc.CloseIdleConnections()
	}
	// The name dialled, when ServerName is left unset.
	for _, host := range []string{"localhost", "127.0.0.1"} {
		nc, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := get(t, nc, "https://"+host+":"+port(addr)); err != nil {
			t.Errorf("NewClient(capath) to %s: %v", host, err)
		}
		nc.CloseIdleConnections()
	}
}

// Replacing VerifyConnection, VerifyPeerCertificate or both on the
// TLSClientConfig of a NewClient with a hashed capath does not make a
// wrong-name, untrusted, self-issued or expired certificate acceptable,
// on a new connection or a resumed one; the errors are crypto/tls's (the
// x509 type reachable by errors.As) and explained as with a cafile.
func TestNewClientHooksCannotRemoveVerification(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	type refusal struct {
		srv  *tls.Config
		want func(error) bool
	}
	isType := func(target any) func(error) bool {
		return func(err error) bool { return errors.As(err, target) }
	}
	refused := map[string]refusal{
		"wrong-host":  {plainServer(ca.Issue(t, testpki.WrongHost())), isType(new(x509.HostnameError))},
		"unknown-ca":  {plainServer(other.Server(t)), isType(new(x509.UnknownAuthorityError))},
		"self-issued": {plainServer(testpki.NewCA(t).Server(t, "localhost", "127.0.0.1")), isType(new(x509.UnknownAuthorityError))},
		"expired":     {plainServer(ca.Issue(t, testpki.Expired())), isType(new(x509.CertificateInvalidError))},
	}
	accept := func(tls.ConnectionState) error { return nil }
	acceptPeer := func([][]byte, [][]*x509.Certificate) error { return nil }
	mutations := []mutation{
		{"none", func(*tls.Config) {}},
		{"VerifyConnection=accept", func(c *tls.Config) { c.VerifyConnection = accept }},
		{"VerifyPeerCertificate=accept", func(c *tls.Config) { c.VerifyPeerCertificate = acceptPeer }},
		{"both=accept", func(c *tls.Config) { c.VerifyConnection, c.VerifyPeerCertificate = accept, acceptPeer }},
		{"both=nil", func(c *tls.Config) { c.VerifyConnection, c.VerifyPeerCertificate = nil, nil }},
	}
	for name, r := range refused {
		addr := serveHTTPS(t, r.srv, nil)
		fileClient, err := tlsdefault.NewClient(tlsdefault.WithCAFile(caFile))
		if err != nil {
			t.Fatal(err)
		}
		_, _, ferr := get(t, fileClient, "https://localhost:"+port(addr))
		fhe := tlsdefault.Diagnose(ferr)
		if fhe == nil {
			t.Fatalf("%s: cafile client: %v", name, ferr)
		}
		for _, m := range mutations {
			nc, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			m.apply(nc.Transport.(*http.Transport).TLSClientConfig)
			_, _, err = get(t, nc, "https://localhost:"+port(addr))
			if err == nil {
				t.Errorf("NewClient(capath) with %s accepted the %s server", m.name, name)
				continue
			}
			if !r.want(err) {
				t.Errorf("NewClient(capath) with %s, %s server: %v: not the crypto/x509 error of crypto/tls", m.name, name, err)
			}
			if ve := new(tls.CertificateVerificationError); !errors.As(err, &ve) {
				t.Errorf("NewClient(capath) with %s, %s server: %v: no *tls.CertificateVerificationError", m.name, name, err)
			}
			if he := tlsdefault.Diagnose(err); he == nil || he.Cause != fhe.Cause {
				t.Errorf("NewClient(capath) with %s, %s server: cause %v, cafile: %v", m.name, name, he, fhe.Cause)
			}
		}
	}
	// The good server is accepted with each of them, and the hooks that
	// remain (the library's, or the user's) receive the verified chains.
	good := serveHTTPS(t, plainServer(ca.Server(t)), nil)
	for _, m := range mutations {
		nc, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		cfg := nc.Transport.(*http.Transport).TLSClientConfig
		m.apply(cfg)
		var chains int
		if inner := cfg.VerifyConnection; inner != nil {
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				chains = len(cs.VerifiedChains)
				return inner(cs)
			}
		}
		if _, _, err := get(t, nc, "https://localhost:"+port(good)); err != nil {
			t.Errorf("NewClient(capath) with %s refused the good server: %v", m.name, err)
		}
		if cfg.VerifyConnection != nil && chains == 0 {
			t.Errorf("NewClient(capath) with %s: VerifyConnection saw no verified chain", m.name)
		}
	}
}

// A CA added to the hashed capath is trusted at the next connection of a
// NewClient made before; one deleted is refused at the next, also when the
// session would resume and the user replaced both verification hooks.
func TestNewClientCAPathChangesTakeEffect(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			first, added := testpki.NewCA(t), testpki.NewCA(t)
			dir, _ := hashedDir(t, first)
			srv := plainServer(added.Server(t))
			srv.MaxVersion = v
			var resumed []bool
			addr := serveHTTPS(t, srv, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { resumed = append(resumed, r.TLS.DidResume) }))
			nc, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			cfg := nc.Transport.(*http.Transport).TLSClientConfig
			cfg.VerifyConnection = func(tls.ConnectionState) error { return nil }
			cfg.VerifyPeerCertificate = func([][]byte, [][]*x509.Certificate) error { return nil }
			url := "https://localhost:" + port(addr)
			if _, _, err := get(t, nc, url); err == nil {
				t.Fatal("a server of a CA not in the capath was accepted")
			} else {
				mustAs[x509.UnknownAuthorityError](t, err)
			}
			// Added under its hash: trusted at the next connection.
			file := filepath.Join(dir, hashName(added.Cert))
			if err := os.WriteFile(file, added.CertPEM(), 0o644); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				nc.CloseIdleConnections()
				if _, _, err := get(t, nc, url); err != nil {
					t.Fatalf("CA added to the capath not trusted: %v", err)
				}
			}
			if len(resumed) != 2 || !resumed[1] {
				t.Fatalf("DidResume %v: the test needs a resumable session", resumed)
			}
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
			nc.CloseIdleConnections()
			if _, _, err := get(t, nc, url); err == nil {
				t.Fatalf("a CA deleted from the capath still trusted (resumed: %v)", resumed)
			} else {
				mustAs[x509.UnknownAuthorityError](t, err)
			}
		})
	}
}

func hashName(cert *x509.Certificate) string {
	return fmt.Sprintf("%08x.0", capool.SubjectHash(cert))
}

// RootCAs set by the user on a NewClient's TLSClientConfig are used, as
// crypto/tls uses them, instead of the capath; and the TLSClientConfig,
// used without the dialler, fails closed.
func TestNewClientRootCAsHonoured(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "")
	t.Setenv("https_proxy", "")
	ca, other := testpki.NewCA(t), testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	caSrv := plainServer(ca.Server(t))
	caAddr := serveHTTPS(t, caSrv, nil)
	otherAddr := serveHTTPS(t, plainServer(other.Server(t)), nil)

	nc, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(t, nc, "https://localhost:"+port(caAddr)); err != nil {
		t.Fatal(err)
	}
	// Outside the dialler (tls.Dial, or a proxy set on the transport
	// later), the config does not hold the directory's CAs (in FIPS mode
	// crypto/tls verifies, so it holds them).
	cfg := nc.Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.ServerName = "localhost"
	if _, err := handshake(t, cfg, caSrv); (err == nil) != fips140.Enabled() {
		t.Errorf("NewClient's TLSClientConfig used without its dialler: %v (FIPS mode: %v)", err, fips140.Enabled())
	}
	// With a proxy in the environment, net/http handshakes through it with
	// TLSClientConfig: the directory is then read into RootCAs.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
	viaProxy, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	cfg = viaProxy.Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.ServerName = "localhost"
	if _, err := handshake(t, cfg, caSrv); err != nil {
		t.Errorf("NewClient made with HTTPS_PROXY set: TLSClientConfig refused the capath's server: %v", err)
	}
	t.Setenv("HTTPS_PROXY", "")

	nc, err = tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	nc.Transport.(*http.Transport).TLSClientConfig.RootCAs = other.Pool()
	if _, _, err := get(t, nc, "https://localhost:"+port(otherAddr)); err != nil {
		t.Errorf("RootCAs set on a NewClient capath transport not honoured: %v", err)
	}
	nc.CloseIdleConnections()
	if _, _, err := get(t, nc, "https://localhost:"+port(caAddr)); err == nil {
		t.Error("NewClient with RootCAs replaced still trusted the capath")
	}
}

// Configs built from one capool.Pool with a hashed directory do not share
// the *x509.CertPool a user may add to: a CA added to one config's RootCAs
// is not trusted by another config of the same Pool.
func TestCAPathConfigPoolsNotShared(t *testing.T) {
	ca, other := testpki.NewCA(t), testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	p, err := capool.Load(capool.Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	a, err := tlsdefault.ClientConfig(tlsdefault.WithPool(p))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tlsdefault.ClientConfig(tlsdefault.WithPool(p))
	if err != nil {
		t.Fatal(err)
	}
	a.RootCAs.AddCert(other.Cert)
	b.ServerName = "localhost"
	srv := plainServer(other.Server(t))
	if _, err := handshake(t, b, srv); err == nil {
		t.Fatal("a CA added to one config's RootCAs is trusted by another config of the same pool")
	}
	a.ServerName = "localhost"
	if _, err := handshake(t, a, srv); err != nil {
		t.Fatalf("a CA added to the config's own RootCAs: %v", err)
	}
}
