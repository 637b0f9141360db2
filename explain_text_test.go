package tlsdefault

import (
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// These tests produce, with real crypto/tls and crypto/x509 code on
// loopback, each error that tlsText reads by its text, and fail when a Go
// release changes that text: the classifier must then be updated.

// pipeHandshake runs a client and a server handshake over TCP on loopback
// and returns both errors.
func pipeHandshake(t *testing.T, client, server *tls.Config) (cerr, serr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		done <- tls.Server(c, server).Handshake()
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(5 * time.Second))
	cerr = tls.Client(raw, client).Handshake()
	raw.Close()
	return cerr, <-done
}

// rawPeer accepts one connection, reads what the client sends first and
// answers with reply; it returns the error of the client's handshake.
func rawPeer(t *testing.T, client *tls.Config, reply []byte) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 8192))
		c.Write(reply)
		c.Read(make([]byte, 64))
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(5 * time.Second))
	return tls.Client(raw, client).Handshake()
}

// serverHello is a TLS record with a ServerHello of version vers choosing
// suite, without extensions.
func serverHello(vers, suite uint16) []byte {
	body := append([]byte{byte(vers >> 8), byte(vers)}, make([]byte, 32)...)
	body = append(body, 0, byte(suite>>8), byte(suite), 0)
	hs := append([]byte{2, 0, 0, byte(len(body))}, body...)
	return append([]byte{0x16, 3, byte(vers), 0, byte(len(hs))}, hs...)
}

// clientHelloSSL3 is an SSL 3.0 ClientHello (no extensions).
func clientHelloSSL3() []byte {
	body := append([]byte{3, 0}, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0x00, 0x2f, 1, 0)
	hs := append([]byte{1, 0, 0, byte(len(body))}, body...)
	return append([]byte{0x16, 3, 0, 0, byte(len(hs))}, hs...)
}

func wantText(t *testing.T, err error, want textClass) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if got := tlsText(err.Error()); got != want {
		t.Fatalf("tlsText(%q) = %d, want %d: has the text of crypto/tls changed?", err.Error(), got, want)
	}
}

func TestTLSTextPatterns(t *testing.T) {
	ca := testpki.NewCA(t)
	cert := ca.Server(t).TLS()
	client := func() *tls.Config { return &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"} }
	server := func() *tls.Config { return &tls.Config{Certificates: []tls.Certificate{cert}} }

	t.Run("server-selected-ssl3", func(t *testing.T) {
		wantText(t, rawPeer(t, client(), serverHello(0x0300, 0x002f)), textSSL3)
	})
	t.Run("client-offered-ssl3", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				return
			}
			defer c.Close()
			c.Write(clientHelloSSL3())
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			c.Read(make([]byte, 64))
		}()
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		wantText(t, tls.Server(c, server()).Handshake(), textSSL3)
	})
	t.Run("server-selected-tls10", func(t *testing.T) {
		wantText(t, rawPeer(t, client(), serverHello(tls.VersionTLS10, 0x002f)), textOldVersion)
	})
	t.Run("client-offered-tls10", func(t *testing.T) {
		c := client()
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
		_, serr := pipeHandshake(t, c, server())
		wantText(t, serr, textOldVersion)
	})
	t.Run("no-cipher-suite", func(t *testing.T) {
		c := client()
		c.MaxVersion, c.CipherSuites = tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}
		_, serr := pipeHandshake(t, c, server())
		wantText(t, serr, textNoSuite)
	})
	t.Run("unconfigured-cipher-suite", func(t *testing.T) {
		c := client()
		c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
		wantText(t, rawPeer(t, c, serverHello(tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_CBC_SHA)), textNoSuite)
	})
	t.Run("no-key-exchange", func(t *testing.T) {
		c := client()
		c.MinVersion, c.CurvePreferences = tls.VersionTLS13, []tls.CurveID{tls.CurveP384}
		s := server()
		s.CurvePreferences = []tls.CurveID{tls.CurveP256}
		_, serr := pipeHandshake(t, c, s)
		wantText(t, serr, textNoSuite)
	})
	t.Run("no-client-certificate", func(t *testing.T) {
		s := server()
		s.ClientAuth = tls.RequireAnyClientCert
		_, serr := pipeHandshake(t, client(), s)
		wantText(t, serr, textNoClientCert)
	})
	t.Run("alpn", func(t *testing.T) {
		c := client()
		c.NextProtos = []string{"x-unknown"}
		s := server()
		s.NextProtos = []string{"h2"}
		_, serr := pipeHandshake(t, c, s)
		wantText(t, serr, textALPN)
	})
	t.Run("insecure-sha1-signature", func(t *testing.T) {
		root := testpki.NewCA(t, testpki.ECDSACurve(elliptic.P256()))
		inter := root.Intermediate(t, testpki.SignatureAlgorithm(x509.ECDSAWithSHA1))
		leaf := inter.Server(t)
		ims := x509.NewCertPool()
		ims.AddCert(inter.Cert)
		_, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: root.Pool(), Intermediates: ims, DNSName: "localhost"})
		wantText(t, err, textInsecureSigAlg)
	})
	t.Run("unrelated", func(t *testing.T) {
		if got := tlsText("tls: some other failure"); got != textNone {
			t.Fatalf("tlsText of unrelated text = %d", got)
		}
	})
}

func TestCauseNames(t *testing.T) {
	seen := map[string]Cause{}
	for c := CauseUnknown; c < numCauses; c++ {
		n := c.String()
		if n == "" || strings.HasPrefix(n, "Cause(") {
			t.Errorf("Cause %d has no name", int(c))
		}
		if d, ok := seen[n]; ok {
			t.Errorf("Cause %d and %d share the name %q", int(d), int(c), n)
		}
		seen[n] = c
	}
	if got := Cause(999).String(); got != "Cause(999)" {
		t.Errorf("Cause(999).String() = %q", got)
	}
}

// TestDiagnoseUnwatched: Diagnose sees only the error; the alerts that can
// mean a missing client certificate as well as something else say both,
// and never name legacy.
func TestDiagnoseUnwatched(t *testing.T) {
	ca := testpki.NewCA(t)
	for _, tc := range []struct {
		name  string
		suite []uint16
		auth  tls.ClientAuthType
		cause Cause
	}{
		{"tls1.2 missing certificate", nil, tls.RequireAnyClientCert, CauseAlert},
		{"tls1.2 no common suite", []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}, tls.NoClientCert, CauseAlert},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ClientConfig(WithCAData(ca.CertPEM()))
			if err != nil {
				t.Fatal(err)
			}
			cfg.ServerName, cfg.MaxVersion = "localhost", tls.VersionTLS12
			server := &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS()}, ClientAuth: tc.auth, CipherSuites: tc.suite, MaxVersion: tls.VersionTLS12}
			cerr, _ := pipeHandshake(t, cfg, server)
			he := Diagnose(cerr)
			if he == nil || he.Cause != tc.cause {
				t.Fatalf("Diagnose(%v) = %v, want cause %v", cerr, he, tc.cause)
			}
			if !strings.Contains(he.Reason, "client certificate") || strings.Contains(he.Reason, "legacy") {
				t.Errorf("the reason does not give both readings, or names legacy: %s", he.Reason)
			}
		})
	}
}
