package tlsdefault_test

import (
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// plainServer is a crypto/tls server config with the certificate of leaf
// and Go's own defaults.
func plainServer(leaf *testpki.Leaf) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}}
}

func TestClientVerification(t *testing.T) {
	ca := testpki.NewCA(t)
	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
	inter := ca.Intermediate(t)
	other := testpki.NewCA(t)

	interLeaf := inter.Server(t, "localhost")
	missingInter := interLeaf.TLS()
	missingInter.Certificate = missingInter.Certificate[:1]

	tests := []struct {
		name    string
		server  tls.Certificate
		trust   *testpki.CA
		wantErr func(t *testing.T, err error)
	}{
		{name: "ok", server: ca.Server(t, "localhost").TLS(), trust: ca},
		{name: "ok-rsa2048", server: rsaCA.Server(t, "localhost").TLS(), trust: rsaCA},
		{name: "ok-intermediate", server: interLeaf.TLS(), trust: ca},
		{name: "expired", server: ca.Issue(t, testpki.Expired()).TLS(), trust: ca, wantErr: wantInvalid(x509.Expired)},
		{name: "not-yet-valid", server: ca.Issue(t, testpki.NotYetValid()).TLS(), trust: ca, wantErr: wantInvalid(x509.Expired)},
		{name: "wrong-host", server: ca.Issue(t, testpki.WrongHost()).TLS(), trust: ca, wantErr: func(t *testing.T, err error) {
			mustAs[x509.HostnameError](t, err)
		}},
		{name: "unknown-authority", server: other.Server(t, "localhost").TLS(), trust: ca, wantErr: wantUnknown},
		{name: "missing-intermediate", server: missingInter, trust: ca, wantErr: wantUnknown},
		{name: "client-auth-only-eku", server: ca.Issue(t, testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth)).TLS(), trust: ca, wantErr: wantInvalid(x509.IncompatibleUsage)},
		{name: "rsa1024-leaf", server: rsaCA.Issue(t, testpki.RSABits(1024)).TLS(), trust: rsaCA, wantErr: wantPolicy(0, "1024 bits")},
		{name: "p224-leaf", server: ca.Issue(t, testpki.ECDSACurve(elliptic.P224())).TLS(), trust: ca, wantErr: func(t *testing.T, err error) {
			// crypto/tls cannot use P-224 at all; either refusal will do,
			// as long as there is one.
			if err == nil {
				t.Fatal("P-224 leaf accepted")
			}
		}},
		{name: "sha1-leaf", server: rsaCA.Issue(t, testpki.SignatureAlgorithm(x509.SHA1WithRSA)).TLS(), trust: rsaCA, wantErr: func(t *testing.T, err error) {
			// crypto/x509 already refuses SHA-1 signatures
			// (InsecureAlgorithmError); the policy is the second line.
			var ua x509.UnknownAuthorityError
			var pe *tlsdefault.PolicyError
			if !errors.As(err, &ua) && !errors.As(err, &pe) {
				t.Fatalf("SHA-1 leaf: got %v", err)
			}
			if !strings.Contains(err.Error(), "SHA-1") {
				t.Fatalf("error does not say SHA-1: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := tlsdefault.NewClient(tlsdefault.WithCAData(tt.trust.CertPEM()))
			if err != nil {
				t.Fatal(err)
			}
			addr := serveHTTPS(t, &tls.Config{Certificates: []tls.Certificate{tt.server}}, nil)
			_, body, err := get(t, client, "https://localhost:"+port(addr))
			if tt.wantErr == nil {
				if err != nil || body != "ok" {
					t.Fatalf("got %q, %v", body, err)
				}
				return
			}
			if err == nil {
				t.Fatal("handshake succeeded, want a refusal")
			}
			mustAs[*tlsdefault.HandshakeError](t, err)
			if !strings.HasPrefix(mustAs[*tlsdefault.HandshakeError](t, err).Error(), "tlsdefault: ") {
				t.Errorf("error lacks prefix: %v", err)
			}
			tt.wantErr(t, err)
		})
	}
}

func wantInvalid(r x509.InvalidReason) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		ci := mustAs[x509.CertificateInvalidError](t, err)
		if ci.Reason != r {
			t.Fatalf("reason %v, want %v: %v", ci.Reason, r, err)
		}
	}
}

func wantUnknown(t *testing.T, err error) {
	t.Helper()
	mustAs[x509.UnknownAuthorityError](t, err)
	mustAs[*tls.CertificateVerificationError](t, err)
	if !strings.Contains(err.Error(), "cadata") {
		t.Errorf("error does not name the trust source: %v", err)
	}
}

func wantPolicy(index int, text string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if fipsChainRefusal(t, err) {
			return
		}
		pe := mustAs[*tlsdefault.PolicyError](t, err)
		if pe.Index != index || !strings.Contains(err.Error(), text) {
			t.Fatalf("policy error %v (index %d), want index %d and %q", err, pe.Index, index, text)
		}
		mustAs[*tls.CertificateVerificationError](t, err)
	}
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

func TestClientPolicyIntermediate(t *testing.T) {
	// An RSA-1024 intermediate between a good root and a good leaf.
	root := testpki.NewCA(t, testpki.RSABits(2048))
	weak := root.Intermediate(t, testpki.RSABits(1024))
	leaf := weak.Issue(t, testpki.RSABits(2048))
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(root.CertDER()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = handshake(t, cfg, plainServer(leaf))
	wantPolicy(1, "1024 bits")(t, err)

	// A SHA-1 signed intermediate is refused (by x509 or by the policy).
	sha1Inter := root.Intermediate(t, testpki.SignatureAlgorithm(x509.SHA1WithRSA))
	_, err = handshake(t, cfg, plainServer(sha1Inter.Server(t, "localhost")))
	if err == nil {
		t.Fatal("chain with a SHA-1 signed intermediate accepted")
	}
}

func TestClientVersionsAndSuites(t *testing.T) {
	ca := testpki.NewCA(t)
	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithCAData(rsaCA.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.InsecureSkipVerify {
		t.Fatalf("MinVersion %x InsecureSkipVerify %v", cfg.MinVersion, cfg.InsecureSkipVerify)
	}
	for _, id := range cfg.CipherSuites {
		name := tls.CipherSuiteName(id)
		if !strings.HasPrefix(name, "TLS_ECDHE_") || !(strings.Contains(name, "GCM") || strings.Contains(name, "CHACHA20")) {
			t.Errorf("suite %s offered", name)
		}
	}
	ecLeaf, rsaLeaf := ca.Server(t, "localhost"), rsaCA.Server(t, "localhost")
	tests := []struct {
		name      string
		server    *tls.Config
		wantVer   uint16
		wantLegal bool // error names package legacy
	}{
		{"tls13", &tls.Config{Certificates: []tls.Certificate{ecLeaf.TLS()}}, tls.VersionTLS13, false},
		{"tls12", &tls.Config{Certificates: []tls.Certificate{ecLeaf.TLS()}, MaxVersion: tls.VersionTLS12}, tls.VersionTLS12, false},
		{"tls10-only", &tls.Config{Certificates: []tls.Certificate{ecLeaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, 0, true},
		{"tls11-only", &tls.Config{Certificates: []tls.Certificate{ecLeaf.TLS()}, MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}, 0, true},
		{"rsa-kex-only", &tls.Config{Certificates: []tls.Certificate{rsaLeaf.TLS()}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA}}, 0, true},
		{"3des-only", &tls.Config{Certificates: []tls.Certificate{rsaLeaf.TLS()}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}, 0, true},
		{"cbc-only", &tls.Config{Certificates: []tls.Certificate{ecLeaf.TLS()}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}, 0, true},
	}
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithCAData(rsaCA.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := handshake(t, cfg, tt.server)
			if tt.wantVer != 0 {
				if err != nil || cs.Version != tt.wantVer {
					t.Fatalf("version %s, err %v", tls.VersionName(cs.Version), err)
				}
				return
			}
			if err == nil {
				t.Fatalf("handshake with %s succeeded", tt.name)
			}
			addr := serveHTTPS(t, tt.server, nil)
			_, _, err = get(t, client, "https://localhost:"+port(addr))
			he := mustAs[*tlsdefault.HandshakeError](t, err)
			if !strings.Contains(he.Error(), "legacy") || !strings.Contains(he.Error(), "mismatch") {
				t.Errorf("error does not explain the mismatch or name package legacy: %v", he)
			}
			if _, ok := he.Alert(); !ok {
				t.Errorf("no alert recorded: %v", he)
			} else {
				mustAs[tls.AlertError](t, err)
			}
		})
	}
}

func TestClientMinVersion13(t *testing.T) {
	ca := testpki.NewCA(t)
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithMinVersion(tls.VersionTLS13))
	if err != nil {
		t.Fatal(err)
	}
	_, err = handshake(t, cfg, &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS()}, MaxVersion: tls.VersionTLS12})
	if err == nil {
		t.Fatal("TLS 1.2 server accepted with WithMinVersion(TLS 1.3)")
	}
}

func TestClientResumption(t *testing.T) {
	ca := testpki.NewCA(t)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			var resumed []bool
			srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}, MaxVersion: v}
			addr := serveHTTPS(t, srv, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				resumed = append(resumed, r.TLS.DidResume)
			}))
			client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, _, err := get(t, client, "https://localhost:"+port(addr)); err != nil {
					t.Fatal(err)
				}
				// A new connection each time.
				client.Transport.(*http.Transport).CloseIdleConnections()
			}
			if len(resumed) != 2 || resumed[0] || !resumed[1] {
				t.Fatalf("DidResume per request = %v, want [false true]", resumed)
			}
		})
	}
}

func TestClientHTTP2AndHealthChecks(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS()}, NextProtos: []string{"h2", "http/1.1"}}
	var proto int
	addr := serveHTTPS(t, srv, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { proto = r.ProtoMajor }))
	tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	if tr.HTTP2 == nil || tr.HTTP2.SendPingTimeout == 0 || tr.HTTP2.PingTimeout == 0 {
		t.Errorf("HTTP/2 health checks off: %+v", tr.HTTP2)
	}
	if !tr.Protocols.HTTP1() || !tr.Protocols.HTTP2() || tr.Proxy == nil || tr.TLSHandshakeTimeout == 0 || tr.MaxIdleConnsPerHost <= 2 {
		t.Errorf("transport defaults lost: %+v", tr)
	}
	resp, _, err := get(t, &http.Client{Transport: tr}, "https://127.0.0.1:"+port(addr))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 2 || proto != 2 {
		t.Fatalf("client proto %d, server proto %d; want HTTP/2 on both sides", resp.ProtoMajor, proto)
	}
}

func TestClientFreshValuesNoGlobals(t *testing.T) {
	before := http.DefaultTransport.(*http.Transport).TLSClientConfig
	c1, err := tlsdefault.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := tlsdefault.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t1, t2 := c1.Transport.(*http.Transport), c2.Transport.(*http.Transport)
	if c1 == c2 || t1 == t2 || t1.TLSClientConfig == t2.TLSClientConfig || t1.TLSClientConfig.ClientSessionCache == t2.TLSClientConfig.ClientSessionCache {
		t.Fatal("constructors share values")
	}
	if c1 == http.DefaultClient || t1 == http.DefaultTransport {
		t.Fatal("returned a global")
	}
	after := http.DefaultTransport.(*http.Transport).TLSClientConfig
	if before != after || http.DefaultClient.Transport != nil {
		t.Fatal("http.DefaultTransport or http.DefaultClient changed")
	}
}

func TestClientTrustOptions(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	dir := t.TempDir()
	caFile := ca.WriteFile(t, dir, "ca.pem")
	leaf := ca.Server(t, "localhost")
	addr := serveHTTPS(t, plainServer(leaf), nil)
	url := "https://localhost:" + port(addr)

	plainDir := t.TempDir()
	ca.WriteFile(t, plainDir, "corp.crt")

	ok := map[string][]tlsdefault.Option{
		"cafile":        {tlsdefault.WithCAFile(caFile)},
		"capath-plain":  {tlsdefault.WithCAPath(plainDir)},
		"cadata-pem":    {tlsdefault.WithCAData(ca.CertPEM())},
		"cadata-der":    {tlsdefault.WithCAData(ca.CertDER())},
		"cadata+system": {tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithSystemRoots()},
		"two-sources":   {tlsdefault.WithCAData(other.CertPEM()), tlsdefault.WithCAFile(caFile)},
	}
	for name, opts := range ok {
		t.Run(name, func(t *testing.T) {
			c, err := tlsdefault.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := get(t, c, url); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("only-given-sources", func(t *testing.T) {
		c, err := tlsdefault.NewClient(tlsdefault.WithCAData(other.CertPEM()))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = get(t, c, url)
		wantUnknown(t, err)
	})
	t.Run("system-store-default", func(t *testing.T) {
		// Our test CA is not in the system store.
		c, err := tlsdefault.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = get(t, c, url)
		mustAs[x509.UnknownAuthorityError](t, err)
		if !strings.Contains(err.Error(), "system") {
			t.Errorf("error does not say the system store was used: %v", err)
		}
	})
	t.Run("SSL_CERT_FILE", func(t *testing.T) {
		if os.Getenv("TLSDEFAULT_CHILD") == "" {
			out := runChild(t, "TestClientTrustOptions/SSL_CERT_FILE", "SSL_CERT_FILE="+caFile, "SSL_CERT_DIR="+t.TempDir(), "TLSDEFAULT_URL="+url)
			if !strings.Contains(out, "PASS") {
				t.Fatalf("child: %s", out)
			}
			return
		}
		c, err := tlsdefault.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := get(t, c, os.Getenv("TLSDEFAULT_URL")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOptionErrors(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t)
	good := tlsdefault.WithCertificate(leaf.TLS())
	mismatched := leaf.TLS()
	mismatched.PrivateKey = ca.Server(t).Key
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("no certificates here\n"), 0o644)
	tests := []struct {
		name   string
		server bool
		opts   []tlsdefault.Option
		want   string
	}{
		{"empty-cafile", false, []tlsdefault.Option{tlsdefault.WithCAFile("")}, "WithCAFile: empty path"},
		{"empty-capath", false, []tlsdefault.Option{tlsdefault.WithCAPath("")}, "WithCAPath: empty"},
		{"empty-cadata", false, []tlsdefault.Option{tlsdefault.WithCAData(nil)}, "WithCAData: no data"},
		{"nil-pool", false, []tlsdefault.Option{tlsdefault.WithPool(nil)}, "WithPool: nil pool"},
		{"missing-cafile", false, []tlsdefault.Option{tlsdefault.WithCAFile(filepath.Join(dir, "nope.pem"))}, "nope.pem"},
		{"cafile-without-certs", false, []tlsdefault.Option{tlsdefault.WithCAFile(empty)}, "empty.pem"},
		{"garbage-cadata", false, []tlsdefault.Option{tlsdefault.WithCAData([]byte("garbage"))}, "WithCAData"},
		{"min-tls11", false, []tlsdefault.Option{tlsdefault.WithMinVersion(tls.VersionTLS11)}, "legacy"},
		{"min-tls10-server", true, []tlsdefault.Option{good, tlsdefault.WithMinVersion(tls.VersionTLS10)}, "legacy"},
		{"min-unknown", false, []tlsdefault.Option{tlsdefault.WithMinVersion(0x0399)}, "WithMinVersion"},
		{"client-auth-on-client", false, []tlsdefault.Option{tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert)}, "servers"},
		{"nil-option", false, []tlsdefault.Option{nil}, "option 1 is nil"},
		{"key-mismatch", true, []tlsdefault.Option{tlsdefault.WithCertificate(mismatched)}, "does not match"},
		{"rsa1024-own-cert", true, []tlsdefault.Option{tlsdefault.WithCertificate(testpki.NewCA(t, testpki.RSABits(2048)).Issue(t, testpki.RSABits(1024)).TLS())}, "1024 bits"},
		{"missing-keypair-files", true, []tlsdefault.Option{tlsdefault.WithKeyPairFiles(filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"))}, "c.pem"},
		{"empty-keypair-name", true, []tlsdefault.Option{tlsdefault.WithKeyPairFiles("", "")}, "WithKeyPairFiles"},
		{"verify-without-trust", true, []tlsdefault.Option{good, tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert)}, "needs a trust source"},
		{"unverified-client-auth", true, []tlsdefault.Option{good, tlsdefault.WithClientAuth(tls.RequireAnyClientCert)}, "without verifying"},
		{"trust-without-client-auth", true, []tlsdefault.Option{good, tlsdefault.WithCAData(ca.CertPEM())}, "WithClientAuth"},
		{"handshake-timeout", true, []tlsdefault.Option{good, tlsdefault.WithHandshakeTimeout(0)}, "WithHandshakeTimeout"},
		{"max-conns", true, []tlsdefault.Option{good, tlsdefault.WithMaxConns(-1)}, "WithMaxConns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.server {
				_, err = tlsdefault.ServerConfig(tt.opts...)
				if err == nil {
					t.Fatal("ServerConfig accepted bad options")
				}
				ln, lerr := tlsdefault.Listen("tcp", "127.0.0.1:0", tt.opts...)
				if lerr == nil {
					ln.Close()
					t.Fatal("Listen accepted bad options")
				}
			} else {
				_, err = tlsdefault.ClientConfig(tt.opts...)
				if err == nil {
					t.Fatal("ClientConfig accepted bad options")
				}
				if _, err2 := tlsdefault.NewClient(tt.opts...); err2 == nil {
					t.Fatal("NewClient accepted bad options")
				}
			}
			if !strings.HasPrefix(err.Error(), "tlsdefault: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want prefix %q and %q", err, "tlsdefault: ", tt.want)
			}
		})
	}
}

func TestClientPlainHTTPPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: quietLog()}
	go srv.Serve(ln)
	defer srv.Close()
	client, err := tlsdefault.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = get(t, client, "https://"+ln.Addr().String())
	mustAs[tls.RecordHeaderError](t, err)
	he := mustAs[*tlsdefault.HandshakeError](t, err)
	if he.Side != "server" || !strings.Contains(he.Reason, "plain HTTP") {
		t.Fatalf("side %q reason %q", he.Side, he.Reason)
	}
}
