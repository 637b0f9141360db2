package tlsdefault_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func TestServerDefaults(t *testing.T) {
	ca := testpki.NewCA(t)
	cfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t).TLS()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.NoClientCert || len(cfg.NextProtos) != 2 || cfg.NextProtos[0] != "h2" {
		t.Fatalf("server defaults: min %x auth %v alpn %v", cfg.MinVersion, cfg.ClientAuth, cfg.NextProtos)
	}
	client := func(min, max uint16, suites ...uint16) *tls.Config {
		return &tls.Config{RootCAs: ca.Pool(), MinVersion: min, MaxVersion: max, CipherSuites: suites}
	}
	tests := []struct {
		name   string
		client *tls.Config
		ok     bool
	}{
		{"tls13", client(0, 0), true},
		{"tls12", client(tls.VersionTLS12, tls.VersionTLS12), true},
		{"tls11", client(tls.VersionTLS11, tls.VersionTLS11), false},
		{"tls10", client(tls.VersionTLS10, tls.VersionTLS10), false},
		{"cbc", client(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA), false},
		{"chacha", client(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch tt.name {
			case "chacha":
				skipInFIPS(t, "ChaCha20-Poly1305 is not FIPS approved")
			case "tls10", "tls11", "cbc":
				// The refusal is checked with a peer outside FIPS mode
				// in TestIntegrationOpenSSLClient.
				skipInFIPS(t, "the in-process client cannot offer "+tt.name+" at all, so this would test the client, not the server")
			}
			_, err := handshake(t, tt.client, cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestServerClientAuth(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
	srvCert := tlsdefault.WithCertificate(ca.Server(t).TLS())
	good := ca.Client(t, "alice").TLS()
	wrongCA := other.Client(t, "mallory").TLS()
	weak := rsaCA.Issue(t, testpki.RSABits(1024), testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth)).TLS()
	serverOnly := ca.Issue(t, testpki.ExtKeyUsage(x509.ExtKeyUsageServerAuth)).TLS()

	tests := []struct {
		name string
		mode tls.ClientAuthType
		cert *tls.Certificate
		ok   bool
	}{
		{"none-mode-no-cert", tls.NoClientCert, nil, true},
		{"required-good", tls.RequireAndVerifyClientCert, &good, true},
		{"required-absent", tls.RequireAndVerifyClientCert, nil, false},
		{"required-wrong-ca", tls.RequireAndVerifyClientCert, &wrongCA, false},
		{"required-rsa1024", tls.RequireAndVerifyClientCert, &weak, false},
		{"required-server-eku", tls.RequireAndVerifyClientCert, &serverOnly, false},
		{"optional-good", tls.VerifyClientCertIfGiven, &good, true},
		{"optional-absent", tls.VerifyClientCertIfGiven, nil, true},
		{"optional-wrong-ca", tls.VerifyClientCertIfGiven, &wrongCA, false},
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tt := range tests {
			t.Run(tls.VersionName(v)+"/"+tt.name, func(t *testing.T) {
				opts := []tlsdefault.Option{srvCert}
				if tt.mode != tls.NoClientCert {
					opts = append(opts, tlsdefault.WithClientAuth(tt.mode), tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithCAData(rsaCA.CertPEM()))
				}
				scfg, err := tlsdefault.ServerConfig(opts...)
				if err != nil {
					t.Fatal(err)
				}
				ccfg := &tls.Config{RootCAs: ca.Pool(), MaxVersion: v}
				if tt.cert != nil {
					// Present it whatever CAs the server names, as a
					// misconfigured or hostile client would.
					cert := tt.cert
					ccfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
				}
				cs, err := handshake(t, ccfg, scfg)
				if (err == nil) != tt.ok {
					t.Fatalf("err = %v, want ok=%v", err, tt.ok)
				}
				_ = cs
				if tt.name == "required-rsa1024" && err != nil {
					// The client learns only of an alert; the policy
					// error is on the server side (see the listener test).
					return
				}
			})
		}
	}
}

func TestServerClientAuthPolicyErrorLogged(t *testing.T) {
	ca := testpki.NewCA(t, testpki.RSABits(2048))
	var buf syncBuffer
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
		tlsdefault.WithCAData(ca.CertPEM()),
		tlsdefault.WithErrorLog(log.New(&buf, "", 0)))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveListener(t, ln, nil)
	weak := ca.Issue(t, testpki.RSABits(1024), testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth)).TLS()
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithCertificate(mustNoCheck(weak)))
	if err == nil {
		// Our own client refuses to present a weak certificate at all.
		t.Fatal("NewClient accepted an RSA-1024 client certificate")
	}
	raw := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{weak}, ServerName: "localhost"}
	c, err := tls.Dial("tcp", addr, raw)
	if err == nil {
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if err == nil {
		t.Fatal("server accepted an RSA-1024 client certificate")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "1024 bits") && !strings.Contains(buf.String(), "no FIPS compatible") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if fipsChainRefusal(t, errors.New(buf.String())) {
		return
	}
	if !strings.Contains(buf.String(), "client's leaf") || !strings.Contains(buf.String(), "1024 bits") {
		t.Fatalf("log does not explain the refusal: %q", buf.String())
	}
	_ = client
}

func mustNoCheck(c tls.Certificate) tls.Certificate { return c }

func TestListenHTTP2AndMutualTLS(t *testing.T) {
	ca := testpki.NewCA(t)
	for _, maxConns := range []int{0, 4} {
		t.Run("maxconns="+string(rune('0'+maxConns)), func(t *testing.T) {
			opts := []tlsdefault.Option{
				tlsdefault.WithCertificate(ca.Server(t).TLS()),
				tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
				tlsdefault.WithCAData(ca.CertPEM()),
			}
			if maxConns > 0 {
				opts = append(opts, tlsdefault.WithMaxConns(maxConns))
			}
			ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts...)
			if err != nil {
				t.Fatal(err)
			}
			var gotTLS bool
			var proto int
			var peer string
			addr := serveListener(t, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotTLS, proto = r.TLS != nil, r.ProtoMajor
				if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
					peer = r.TLS.PeerCertificates[0].Subject.CommonName
				}
				io.WriteString(w, "hello")
			}))
			client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithCertificate(ca.Client(t, "alice").TLS()))
			if err != nil {
				t.Fatal(err)
			}
			resp, body, err := get(t, client, "https://"+addr)
			if err != nil {
				t.Fatal(err)
			}
			if body != "hello" || !gotTLS || proto != 2 || resp.ProtoMajor != 2 || peer != "alice" {
				t.Fatalf("body %q r.TLS %v server proto %d client proto %d peer %q", body, gotTLS, proto, resp.ProtoMajor, peer)
			}
		})
	}
}

func TestListenHandshakeTimeout(t *testing.T) {
	ca := testpki.NewCA(t)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithHandshakeTimeout(300*time.Millisecond),
		tlsdefault.WithErrorLog(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveListener(t, ln, nil)
	// Silent peers: connect and say nothing.
	var silent []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
	}
	// A normal client is served while they wait.
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, err := get(t, client, "https://"+addr); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("normal client waited %v behind silent peers", d)
	}
	// The silent peers are closed after the timeout.
	for i, c := range silent {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(make([]byte, 1))
		if err == nil || n != 0 {
			t.Fatalf("silent peer %d: read %d bytes, err %v; want the server to close it", i, n, err)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("silent peer %d still open after 5s", i)
		}
	}
}

func TestListenerCloseIdempotent(t *testing.T) {
	ca := testpki.NewCA(t)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ln.Accept(); done <- err }()
	time.Sleep(20 * time.Millisecond)
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept did not return after Close")
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept again: %v", err)
	}
}

func TestNewListener(t *testing.T) {
	ca := testpki.NewCA(t)
	if _, err := tlsdefault.NewListener(nil, tlsdefault.WithCertificate(ca.Server(t).TLS())); err == nil {
		t.Fatal("nil inner listener accepted")
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tlsdefault.NewListener(inner, tlsdefault.WithCertificate(ca.Server(t).TLS()))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveListener(t, ln, nil)
	client, _ := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if _, body, err := get(t, client, "https://"+addr); err != nil || body != "ok" {
		t.Fatalf("%q %v", body, err)
	}
}

// TestKeyPairRotation replaces the server's key pair files and checks
// that the next handshakes present the new certificate once the reload
// interval has passed, and that a broken pair keeps the last good one. It
// runs in a synctest bubble, with handshakes over net.Pipe: the interval
// passes on the fake clock, without sleeping.
func TestKeyPairRotation(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	first := ca.Server(t)
	second, third := ca.Server(t), ca.Server(t)
	certFile, keyFile := first.WriteFiles(t, dir)
	real := time.Now()
	synctest.Test(t, func(t *testing.T) {
		now := atRealTime(real, time.Now())
		var buf syncBuffer
		cfg, err := tlsdefault.ServerConfig(tlsdefault.WithKeyPairFiles(certFile, keyFile), tlsdefault.WithErrorLog(log.New(&buf, "", 0)))
		if err != nil {
			t.Fatal(err)
		}
		serial := func() string {
			t.Helper()
			cs, err := pipeHandshake(t, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", Time: now}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return cs.PeerCertificates[0].SerialNumber.String()
		}
		if got := serial(); got != first.Cert.SerialNumber.String() {
			t.Fatalf("initial serial %s", got)
		}
		second.WriteFiles(t, dir)
		time.Sleep(1500 * time.Millisecond) // past the reload interval, on the fake clock
		if got := serial(); got != second.Cert.SerialNumber.String() {
			t.Fatalf("server still presents %s, want %s", got, second.Cert.SerialNumber)
		}

		// A broken pair keeps the last good one serving, and is reported.
		os.WriteFile(certFile, []byte("not a certificate"), 0o644)
		time.Sleep(1500 * time.Millisecond)
		if got := serial(); got != second.Cert.SerialNumber.String() {
			t.Fatalf("after a broken write the server presents %s", got)
		}
		if !strings.Contains(buf.String(), "keeping the previous certificate") {
			t.Fatalf("broken pair not reported: %q", buf.String())
		}
		third.WriteFiles(t, dir)
		time.Sleep(1500 * time.Millisecond)
		if got := serial(); got != third.Cert.SerialNumber.String() {
			t.Fatalf("server still presents %s, want %s", got, third.Cert.SerialNumber)
		}
	})
}

// TestClientCertificateRotation replaces the client's key pair files; the
// next handshake after the reload interval presents the new certificate
// (synctest, over net.Pipe).
func TestClientCertificateRotation(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	alice, bob := ca.Client(t, "alice"), ca.Client(t, "bob")
	serverCert := ca.Server(t).TLS()
	certFile, keyFile := alice.WriteFilesNamed(t, dir, "client")
	real := time.Now()
	synctest.Test(t, func(t *testing.T) {
		now := atRealTime(real, time.Now())
		server := &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool(), Time: now}
		client, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithKeyPairFiles(certFile, keyFile))
		if err != nil {
			t.Fatal(err)
		}
		client.Time = now
		client.ServerName = "localhost"
		client.ClientSessionCache = nil
		cn := func() string {
			t.Helper()
			// The server's view: the client certificate it verified.
			var seen string
			s := server.Clone()
			s.VerifyConnection = func(cs tls.ConnectionState) error {
				seen = cs.PeerCertificates[0].Subject.CommonName
				return nil
			}
			if _, err := pipeHandshake(t, client, s); err != nil {
				t.Fatal(err)
			}
			return seen
		}
		if got := cn(); got != "alice" {
			t.Fatalf("client presents %q, want alice", got)
		}
		bob.WriteFilesNamed(t, dir, "client")
		time.Sleep(1500 * time.Millisecond) // past the reload interval, on the fake clock
		if got := cn(); got != "bob" {
			t.Fatalf("client still presents %q, want bob", got)
		}
	})
}

func TestNoGoroutineLeakAfterClose(t *testing.T) {
	ca := testpki.NewCA(t)
	before := runtime.NumGoroutine()
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()), tlsdefault.WithErrorLog(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ErrorLog: quietLog()}
	go srv.Serve(ln)
	for range 5 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			defer c.Close()
		}
	}
	time.Sleep(50 * time.Millisecond)
	srv.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+1 {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

func TestSSLKeyLogFile(t *testing.T) {
	if os.Getenv("TLSDEFAULT_CHILD") == "" {
		dir := t.TempDir()
		file := filepath.Join(dir, "keys.log")
		out := runChild(t, "TestSSLKeyLogFile", "SSLKEYLOGFILE="+file)
		if !strings.Contains(out, "PASS") {
			t.Fatalf("child failed: %s", out)
		}
		if n := strings.Count(out, "SSLKEYLOGFILE is set"); n != 1 {
			t.Fatalf("warning printed %d times, want once: %s", n, out)
		}
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("key log mode %v, want 0600", fi.Mode().Perm())
		}
		b, _ := os.ReadFile(file)
		if !bytes.Contains(b, []byte("CLIENT_HANDSHAKE_TRAFFIC_SECRET")) {
			t.Fatalf("key log has no TLS 1.3 secrets: %q", b)
		}
		return
	}
	ca := testpki.NewCA(t)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveListener(t, ln, nil)
	for range 2 {
		client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := get(t, client, "https://"+addr); err != nil {
			t.Fatal(err)
		}
	}
}
