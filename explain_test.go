package tlsdefault_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// hostileName is a SAN that would retitle a terminal, clear it and forge a
// line, if printed raw.
const hostileName = "\x1b]0;pwned\x07\x1b[2J\nFAKE: verified OK"

// selfSignedLeaf makes a self-signed server certificate (not a CA) for
// names, as a device or a quick test server has.
func selfSignedLeaf(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "self-signed device"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// constrainedCA makes a root CA that may issue only for allowed.test, and
// a server certificate from it for localhost and 127.0.0.1.
func constrainedCA(t *testing.T) (root *x509.Certificate, leaf tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "constrained root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
		PermittedDNSDomains:   []string{"allowed.test"},
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ = x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "leaf outside the constraint"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	return root, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// chainCert is a tls.Certificate of leaf followed by extra certificates.
func chainCert(l *testpki.Leaf, extra ...*x509.Certificate) tls.Certificate {
	c := l.TLS()
	c.Certificate = c.Certificate[:1]
	for _, e := range extra {
		c.Certificate = append(c.Certificate, e.Raw)
	}
	return c
}

// rawServer accepts connections on loopback and hands each to serve.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// ssl3ServerHello is a ServerHello choosing SSL 3.0, as an SSL 3.0-only
// server answers.
func ssl3ServerHello() []byte {
	body := append([]byte{3, 0}, make([]byte, 32)...) // version, random
	body = append(body, 0, 0x00, 0x2f, 0)             // no session ID, TLS_RSA_WITH_AES_128_CBC_SHA, no compression
	hs := append([]byte{2, 0, 0, byte(len(body))}, body...)
	return append([]byte{0x16, 3, 0, 0, byte(len(hs))}, hs...)
}

// TestCauseClient runs one real handshake per cause against a server on
// loopback, through NewClient, and checks the HandshakeError: its Cause,
// its side, what errors.As reaches, and that the peer's text is escaped.
func TestCauseClient(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	inter := ca.Intermediate(t)
	ecRoot := testpki.NewCA(t, testpki.ECDSACurve(elliptic.P256()))
	sha1Inter := ecRoot.Intermediate(t, testpki.SignatureAlgorithm(x509.ECDSAWithSHA1))
	constrained, constrainedLeaf := constrainedCA(t)
	otherClientCert := other.Client(t, "stranger").TLS()
	// Issued by a CA the server names, so it is sent (a certificate no
	// named CA issued is not sent at all), and refused: it has expired.
	expiredClientCert := other.Issue(t, testpki.CommonName("expired"), testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth), testpki.Names(), testpki.Expired()).TLS()

	trustCA := tlsdefault.WithCAData(ca.CertPEM())
	type tc struct {
		name     string
		versions []uint16 // server MaxVersion values to run; nil: 1.2 and 1.3
		server   func(max uint16) string
		opts     []tlsdefault.Option
		cause    tlsdefault.Cause
		side     string
		check    func(t *testing.T, he *tlsdefault.HandshakeError)
	}
	tlsServer := func(cfg *tls.Config) func(uint16) string {
		return func(max uint16) string {
			c := cfg.Clone()
			c.MaxVersion = max
			return serveHTTPS(t, c, nil)
		}
	}
	asAlert := func(t *testing.T, he *tlsdefault.HandshakeError) {
		t.Helper()
		if _, ok := errors.AsType[tls.AlertError](he); !ok {
			t.Errorf("errors.As does not reach tls.AlertError: %v", he)
		}
	}
	cases := []tc{
		{name: "self-signed", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{selfSignedLeaf(t, "localhost", hostileName)}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseSelfSigned, side: "client",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) {
				mustAs[x509.UnknownAuthorityError](t, he)
				if he.Certificate == nil || he.Certificate.Subject.CommonName != "self-signed device" {
					t.Errorf("Certificate = %v, want the self-signed one", he.Certificate)
				}
			}},
		{name: "hostile-san", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{selfSignedLeaf(t, hostileName)}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseSelfSigned, side: "client"},
		{name: "issuer-missing", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{chainCert(inter.Server(t))}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseIncompleteChain, side: "client"},
		{name: "untrusted-root", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{chainCert(other.Server(t), other.Cert)}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseUntrustedRoot, side: "client"},
		{name: "hostname", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{ca.Issue(t, testpki.Names("elsewhere.test", hostileName)).TLS()}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseHostname, side: "client",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) { mustAs[x509.HostnameError](t, he) }},
		{name: "expired", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{ca.Issue(t, testpki.Expired()).TLS()}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseExpired, side: "client",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) { mustAs[x509.CertificateInvalidError](t, he) }},
		{name: "not-yet-valid", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{ca.Issue(t, testpki.NotYetValid()).TLS()}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseNotYetValid, side: "client"},
		{name: "policy-rsa1024", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{ca.Issue(t, testpki.RSABits(1024)).TLS()}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CausePolicy, side: "client",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) {
				pe := mustAs[*tlsdefault.PolicyError](t, he)
				if pe.Index != 0 || pe.Rule != tlsdefault.RuleRSAKeySize {
					t.Errorf("PolicyError index %d rule %v, want 0 and RSA key size", pe.Index, pe.Rule)
				}
			}},
		{name: "policy-ecdsa-sha1-intermediate", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{chainCert(sha1Inter.Server(t), sha1Inter.Cert)}}),
			opts: []tlsdefault.Option{tlsdefault.WithCAData(ecRoot.CertPEM())}, cause: tlsdefault.CausePolicy, side: "client",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) {
				if strings.Contains(he.Reason, "WithCAFile") {
					t.Errorf("a SHA-1 chain is told to add a CA: %s", he.Reason)
				}
				if he.Certificate == nil || !he.Certificate.Equal(sha1Inter.Cert) {
					t.Errorf("Certificate is not the SHA-1-signed intermediate")
				}
			}},
		{name: "ca-not-authorized", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{constrainedLeaf}}),
			opts: []tlsdefault.Option{tlsdefault.WithCAData(pemOf(constrained))}, cause: tlsdefault.CauseCANotAuthorized, side: "client",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) {
				if he.Certificate == nil || !he.Certificate.Equal(constrained) {
					t.Errorf("Certificate = %v, want the constrained CA, not the leaf", he.Certificate.Subject)
				}
				if !strings.Contains(he.Reason, `"CN=constrained root"`) {
					t.Errorf("Reason does not name the CA: %s", he.Reason)
				}
			}},
		{name: "usage", server: tlsServer(&tls.Config{Certificates: []tls.Certificate{ca.Issue(t, testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth)).TLS()}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseUsage, side: "client"},
		{name: "old-version", versions: []uint16{tls.VersionTLS11}, server: tlsServer(&tls.Config{MinVersion: tls.VersionTLS10, Certificates: []tls.Certificate{ca.Server(t).TLS()}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseOldVersion, side: "server",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) {
				asAlert(t, he)
				if !strings.Contains(he.Reason, "legacy") {
					t.Errorf("a version mismatch does not name legacy: %s", he.Reason)
				}
			}},
		{name: "legacy-out-of-scope", versions: []uint16{tls.VersionTLS11}, server: tlsServer(&tls.Config{MinVersion: tls.VersionTLS10, Certificates: []tls.Certificate{ca.Server(t).TLS()}}),
			opts: []tlsdefault.Option{trustCA, legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet())}, cause: tlsdefault.CauseLegacyOutOfScope, side: "client"},
		{name: "no-common-suite", versions: []uint16{tls.VersionTLS12}, server: tlsServer(&tls.Config{CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}, Certificates: []tls.Certificate{ca.Server(t).TLS()}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseNoCommonSuite, side: "server",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) { asAlert(t, he) }},
		{name: "client-cert-required", server: tlsServer(&tls.Config{ClientAuth: tls.RequireAnyClientCert, Certificates: []tls.Certificate{ca.Server(t).TLS()}}),
			opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseClientCertRequired, side: "server",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) {
				asAlert(t, he)
				if strings.Contains(he.Reason, "legacy") || strings.Contains(he.Reason, "cipher") {
					t.Errorf("a missing client certificate is explained as a suite problem: %s", he.Reason)
				}
			}},
		{name: "client-cert-refused", server: tlsServer(&tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: other.Pool(), Certificates: []tls.Certificate{ca.Server(t).TLS()}}),
			opts: []tlsdefault.Option{trustCA, tlsdefault.WithCertificate(expiredClientCert)}, cause: tlsdefault.CauseClientCertRefused, side: "server",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) { asAlert(t, he) }},
		{name: "client-cert-withheld", server: tlsServer(&tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: other.Pool(), Certificates: []tls.Certificate{ca.Server(t).TLS()}}),
			opts: []tlsdefault.Option{trustCA, tlsdefault.WithCertificate(ca.Client(t, "not for that server").TLS())}, cause: tlsdefault.CauseClientCertRequired, side: "server",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) {
				if !strings.Contains(he.Reason, "none of this client's certificates was issued by a CA it names") || !strings.Contains(he.Reason, other.Cert.Subject.CommonName) {
					t.Errorf("the reason does not say the certificate was withheld for the CA named: %s", he.Reason)
				}
			}},
		{name: "client-cert-accepted-is-no-error", server: tlsServer(&tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: other.Pool(), Certificates: []tls.Certificate{ca.Server(t).TLS()}}),
			opts: []tlsdefault.Option{trustCA, tlsdefault.WithCertificate(otherClientCert)}, cause: -1},
		{name: "plain-http", versions: []uint16{0}, server: func(uint16) string {
			return rawServer(t, func(c net.Conn) { io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") })
		}, opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CausePlainHTTP, side: "server"},
		{name: "not-tls", versions: []uint16{0}, server: func(uint16) string {
			return rawServer(t, func(c net.Conn) { io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n") })
		}, opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseNotTLS, side: "server"},
		{name: "ssl3", versions: []uint16{0}, server: func(uint16) string {
			return rawServer(t, func(c net.Conn) { c.Read(make([]byte, 4096)); c.Write(ssl3ServerHello()); c.Read(make([]byte, 64)) })
		}, opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CauseSSL3, side: "server"},
		{name: "peer-closed", versions: []uint16{0}, server: func(uint16) string {
			return rawServer(t, func(c net.Conn) { c.Read(make([]byte, 4096)) })
		}, opts: []tlsdefault.Option{trustCA}, cause: tlsdefault.CausePeerClosed, side: "server"},
		{name: "timeout", versions: []uint16{0}, server: func(uint16) string {
			return rawServer(t, func(c net.Conn) { c.Read(make([]byte, 4096)); time.Sleep(2 * time.Second) })
		}, opts: []tlsdefault.Option{trustCA, tlsdefault.WithHandshakeTimeout(300 * time.Millisecond)}, cause: tlsdefault.CauseTimeout, side: "server",
			check: func(t *testing.T, he *tlsdefault.HandshakeError) {
				if errors.Is(he, context.DeadlineExceeded) {
					t.Error("a handshake timeout looks like the caller's context (errors.Is context.DeadlineExceeded)")
				}
				if !errors.Is(he, os.ErrDeadlineExceeded) || !errors.Is(he, tlsdefault.ErrHandshakeTimeout) || !he.Timeout() {
					t.Error("a handshake timeout does not reach os.ErrDeadlineExceeded / ErrHandshakeTimeout")
				}
			}},
	}
	for _, tt := range cases {
		versions := tt.versions
		if versions == nil {
			versions = []uint16{tls.VersionTLS12, tls.VersionTLS13}
		}
		for _, v := range versions {
			name := tt.name
			if v != 0 {
				name += "/" + strings.ReplaceAll(tls.VersionName(v), " ", "")
			}
			t.Run(name, func(t *testing.T) {
				addr := tt.server(v)
				c, err := tlsdefault.NewClient(tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseIdleConnections()
				_, _, err = get(t, c, "https://"+addr+"/")
				if tt.cause < 0 {
					if err != nil {
						t.Fatalf("handshake failed: %v", err)
					}
					return
				}
				if fipsChainRefusal(t, err) {
					return
				}
				he := mustAs[*tlsdefault.HandshakeError](t, err)
				if he.Cause != tt.cause || he.Side != tt.side {
					t.Fatalf("Cause %v, Side %q; want %v, %q\n%v", he.Cause, he.Side, tt.cause, tt.side, he)
				}
				if he.Cause != tlsdefault.CauseOldVersion && he.Cause != tlsdefault.CauseNoCommonSuite && he.Cause != tlsdefault.CauseLegacyOutOfScope && he.Cause != tlsdefault.CauseSSL3 && strings.Contains(he.Reason, "legacy") {
					t.Errorf("only version and suite mismatches may name legacy: %s", he.Reason)
				}
				if s := he.Error(); strings.ContainsAny(s, "\x1b\x07\n\x7f") {
					t.Errorf("control characters of the peer reach Error: %q", s)
				}
				if tt.check != nil {
					tt.check(t, he)
				}
			})
		}
	}
}

// TestDiagnoseTLSDial classifies an error of tls.Dial with a config from
// ClientConfig.
func TestDiagnoseTLSDial(t *testing.T) {
	ca := testpki.NewCA(t)
	addr := serveHTTPS(t, &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, testpki.Expired()).TLS()}}, nil)
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServerName = "localhost"
	_, err = tls.Dial("tcp", addr, cfg)
	he := tlsdefault.Diagnose(err)
	if he == nil || he.Cause != tlsdefault.CauseExpired {
		t.Fatalf("Diagnose(%v) = %v", err, he)
	}
	// A silent server and a deadline on the connection.
	silent := rawServer(t, func(c net.Conn) { c.Read(make([]byte, 4096)); time.Sleep(time.Second) })
	raw, err := net.Dial("tcp", silent)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if he := tlsdefault.Diagnose(tls.Client(raw, cfg).Handshake()); he == nil || he.Cause != tlsdefault.CauseTimeout || !errors.Is(he, os.ErrDeadlineExceeded) {
		t.Errorf("Diagnose of a handshake past the connection's deadline = %v", he)
	}
	if tlsdefault.Diagnose(nil) != nil {
		t.Error("Diagnose(nil) is not nil")
	}
	if tlsdefault.Diagnose(he) != he {
		t.Error("Diagnose of a HandshakeError is not that error")
	}
}

// logLines is a log writer that hands each line to a channel.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	select {
	case l <- string(p):
	default:
	}
	return len(p), nil
}

// TestCauseServer runs one real handshake per server-side cause against a
// Listen listener and checks the failed-handshake log line.
func TestCauseServer(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	serverCert := tlsdefault.WithCertificate(ca.Server(t, "localhost", "old.test", "other.test", "127.0.0.1").TLS())
	requireCert := []tlsdefault.Option{serverCert, tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertPEM())}
	type tc struct {
		name   string
		opts   []tlsdefault.Option
		client func(addr string) // drives one failing handshake
		want   []string          // in the log line
	}
	dial := func(cfg *tls.Config) func(string) {
		return func(addr string) {
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
			if err == nil {
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				c.Read(make([]byte, 1)) // a TLS 1.3 refusal arrives here
				c.Close()
			}
		}
	}
	clientCfg := func(mod func(*tls.Config)) *tls.Config {
		c := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
		mod(c)
		return c
	}
	cases := []tc{
		{"peer-cert-missing-tls12", requireCert, dial(clientCfg(func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 })), []string{"sent no certificate", "[cause: peer's client certificate missing]"}},
		{"peer-cert-missing-tls13", requireCert, dial(clientCfg(func(c *tls.Config) {})), []string{"sent no certificate", "[cause: peer's client certificate missing]"}},
		{"peer-cert-refused", requireCert, dial(clientCfg(func(c *tls.Config) {
			stranger := other.Client(t, "stranger").TLS()
			c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger, nil }
		})), []string{"[cause: peer's client certificate refused]"}},
		{"server-cert-refused", []tlsdefault.Option{serverCert}, dial(&tls.Config{RootCAs: other.Pool(), ServerName: "localhost"}), []string{"refused this server's certificate", "[cause: server certificate refused by peer]"}},
		{"old-version", []tlsdefault.Option{serverCert}, dial(clientCfg(func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS10 })), []string{"older protocol versions", "legacy", "[cause: peer speaks only older versions]"}},
		{"no-common-suite", []tlsdefault.Option{serverCert}, dial(clientCfg(func(c *tls.Config) {
			c.MaxVersion, c.CipherSuites = tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}
		})), []string{"[cause: no common cipher suite]", "legacy"}},
		{"legacy-other-sni", []tlsdefault.Option{serverCert, legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet())},
			dial(clientCfg(func(c *tls.Config) {
				c.MinVersion, c.MaxVersion, c.ServerName = tls.VersionTLS10, tls.VersionTLS10, "other.test"
			})),
			[]string{`does not cover the name the client asked for (SNI "other.test")`, "[cause: legacy scope does not cover peer]"}},
		{"legacy-no-sni", []tlsdefault.Option{serverCert, legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet())},
			dial(&tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10, InsecureSkipVerify: true}),
			[]string{"it sent no name (SNI)", "[cause: legacy scope does not cover peer]"}},
		{"plain-http", []tlsdefault.Option{serverCert}, func(addr string) {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.Copy(io.Discard, c)
				c.Close()
			}
		}, []string{"[cause: peer speaks plain HTTP]"}},
		{"huge-alpn", []tlsdefault.Option{serverCert}, dial(clientCfg(func(c *tls.Config) {
			for i := range 240 {
				c.NextProtos = append(c.NextProtos, strings.Repeat("x", 250)+string(rune('a'+i%26)))
			}
		})), []string{"[cause: no common application protocol]", "…"}},
		{"timeout", []tlsdefault.Option{serverCert, tlsdefault.WithHandshakeTimeout(200 * time.Millisecond)}, func(addr string) {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.Copy(io.Discard, c)
				c.Close()
			}
		}, []string{"did not complete the handshake within 200ms", "127.0.0.1:", "[cause: handshake timed out]"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.name, "old-version") || strings.HasPrefix(tt.name, "legacy") {
				skipInFIPS(t, "the client of this case speaks TLS 1.0, which FIPS mode cannot")
			}
			lines := make(logLines, 4)
			opts := append(append([]tlsdefault.Option{}, tt.opts...), tlsdefault.WithErrorLog(log.New(lines, "", 0)))
			ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts...)
			if err != nil {
				t.Fatal(err)
			}
			addr := serveListener(t, ln, nil)
			tt.client(addr)
			var line string
			select {
			case line = <-lines:
			case <-time.After(5 * time.Second):
				t.Fatal("no log line")
			}
			if len(line) > 1025 {
				t.Errorf("log line is %d bytes, want at most 1 KiB", len(line))
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("log line lacks %q:\n%s", w, line)
				}
			}
			if !strings.Contains(strings.Join(tt.want, " "), "legacy") && strings.Contains(line, "legacy") {
				t.Errorf("only version and suite mismatches may name legacy:\n%s", line)
			}
		})
	}
}

// TestCauseNewerVersionRequired: a client whose caller capped MaxVersion at
// TLS 1.2, facing a server that speaks only TLS 1.3, is told to raise the
// cap, not to reach for package legacy.
func TestCauseNewerVersionRequired(t *testing.T) {
	ca := testpki.NewCA(t)
	addr := serveHTTPS(t, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{ca.Server(t).TLS()}}, nil)
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	c.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS12
	_, _, err = get(t, c, "https://"+addr+"/")
	he := mustAs[*tlsdefault.HandshakeError](t, err)
	if he.Cause != tlsdefault.CauseNewerVersionRequired || he.Side != "server" {
		t.Fatalf("Cause %v, Side %q; want %v, server: %v", he.Cause, he.Side, tlsdefault.CauseNewerVersionRequired, he)
	}
	if strings.Contains(he.Reason, "legacy.Allow") || strings.Contains(he.Reason, "TLS 1.3, TLS 1.2") || !strings.Contains(he.Reason, "MaxVersion") {
		t.Errorf("reason: %s", he.Reason)
	}
}
