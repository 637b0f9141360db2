package tlsdefault_test

import (
	"crypto/fips140"
	"crypto/tls"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// What FIPS 140-3 mode (GODEBUG=fips140=on) leaves of the defaults, as
// crypto/tls filters them: TLS 1.2 and 1.3 only, AES-GCM only, no X25519
// on its own (its hybrid with ML-KEM stays), certificate keys of RSA 2048+
// or ECDSA P-256/P-384/P-521 (or Ed25519). README.md, "FIPS 140-3",
// describes the same; .ci/run runs the handshake tests in that mode.
var (
	fipsGroups       = []tls.CurveID{tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024, tls.CurveP256, tls.CurveP384, tls.CurveP521}
	fipsTLS13Suites  = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384}
	fipsDefaultTLS12 = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}
)

// skipInFIPS skips a test (or subtest) that checks something FIPS 140-3
// mode takes away, such as a ChaCha20-Poly1305 or X25519-only handshake.
func skipInFIPS(t *testing.T, why string) {
	t.Helper()
	if fips140.Enabled() {
		t.Skipf("FIPS 140-3 mode (GODEBUG=fips140=on): %s", why)
	}
}

// fipsChainRefusal reports whether err is crypto/tls refusing a chain in
// FIPS 140-3 mode before the library's own policy sees it (an RSA key under
// 2048 bits, a curve other than P-256/P-384/P-521). The refusal is still a
// refusal; only its error differs from the *PolicyError of normal mode.
func fipsChainRefusal(t *testing.T, err error) bool {
	t.Helper()
	if fips140.Enabled() && err != nil && strings.Contains(err.Error(), "no FIPS compatible certificate chains found") {
		t.Logf("FIPS 140-3 mode: crypto/tls refused the chain first: %v", err)
		return true
	}
	return false
}

// TestFIPSMode checks what the defaults negotiate in FIPS 140-3 mode. Out
// of that mode it runs itself again in a child process with
// GODEBUG=fips140=on (the setting is read once, at start-up).
func TestFIPSMode(t *testing.T) {
	if !fips140.Enabled() {
		if os.Getenv("TLSDEFAULT_CHILD") == "1" {
			t.Fatal("child process is not in FIPS 140-3 mode although GODEBUG=fips140=on was set")
		}
		godebug := "fips140=on"
		if g := os.Getenv("GODEBUG"); g != "" {
			godebug = g + "," + godebug
		}
		out := runChild(t, t.Name(), "GODEBUG="+godebug)
		if !strings.Contains(out, "--- PASS: "+t.Name()) || strings.Contains(out, "--- FAIL") {
			t.Fatalf("in FIPS 140-3 mode:\n%s", out)
		}
		t.Logf("child process in FIPS 140-3 mode:\n%s", out)
		return
	}

	ca := testpki.NewCA(t) // ECDSA P-256
	srv, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t, "localhost").TLS()))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("TLS 1.3", func(t *testing.T) {
		cs, err := handshake(t, cli, srv)
		if err != nil {
			t.Fatal(err)
		}
		if cs.Version != tls.VersionTLS13 || !slices.Contains(fipsTLS13Suites, cs.CipherSuite) || !slices.Contains(fipsGroups, cs.CurveID) {
			t.Errorf("negotiated %s, %s, %v; want TLS 1.3 with AES-GCM and a FIPS group", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.CurveID)
		}
		t.Logf("%s, %s, %v", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.CurveID)
	})

	t.Run("TLS 1.2", func(t *testing.T) {
		c12 := cli.Clone()
		c12.MaxVersion = tls.VersionTLS12
		cs, err := handshake(t, c12, srv)
		if err != nil {
			t.Fatal(err)
		}
		if cs.Version != tls.VersionTLS12 || !slices.Contains(fipsDefaultTLS12, cs.CipherSuite) || cs.CurveID != tls.CurveP256 {
			t.Errorf("negotiated %s, %s, %v; want TLS 1.2, ECDHE with AES-GCM, P-256", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.CurveID)
		}
		t.Logf("%s, %s, %v", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.CurveID)
	})

	t.Run("RSA 2048", func(t *testing.T) {
		rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
		s, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(rsaCA.Server(t, "localhost").TLS()))
		if err != nil {
			t.Fatal(err)
		}
		c, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(rsaCA.CertPEM()))
		if err != nil {
			t.Fatal(err)
		}
		c.MaxVersion = tls.VersionTLS12
		cs, err := handshake(t, c, s)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(fipsDefaultTLS12, cs.CipherSuite) {
			t.Errorf("negotiated %s", tls.CipherSuiteName(cs.CipherSuite))
		}
	})

	t.Run("RSA 1024 refused", func(t *testing.T) {
		rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
		c, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(rsaCA.CertPEM()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = handshake(t, c, plainServer(rsaCA.Issue(t, testpki.RSABits(1024))))
		if err == nil {
			t.Fatal("an RSA-1024 server certificate was accepted")
		}
		mustAs[*tls.CertificateVerificationError](t, err)
		if he := tlsdefault.Diagnose(err); he.Cause != tlsdefault.CausePolicy || !strings.Contains(he.Error(), "FIPS 140-3 mode") {
			t.Errorf("Diagnose: cause %v: %v; want the policy of FIPS 140-3 mode explained", he.Cause, he)
		}
	})

	// A peer outside FIPS mode offering only what FIPS mode removed.
	openssl := requirePeer(t, "openssl")
	p := newIntegPKI(t)
	s := startIntegServer(t, p)
	sClient := func(args ...string) integResult {
		return runIntegPeer(t, "", openssl, append([]string{"s_client",
			"-connect", "127.0.0.1:" + s.port, "-servername", "localhost",
			"-CAfile", p.caFile, "-verify_return_error"}, args...)...)
	}
	t.Run("openssl default groups", func(t *testing.T) {
		// OpenSSL 3.0 offers X25519 first and no ML-KEM hybrid: the
		// server asks again for P-256.
		r := sClient("-tls1_3")
		if r.err != nil || !regexp.MustCompile(`Protocol *: TLSv1\.3`).MatchString(r.output()) {
			t.Fatalf("s_client -tls1_3 refused in FIPS mode:\n%s", r)
		}
		key := regexp.MustCompile(`(?:Server|Peer) Temp Key: [^\n]*|Negotiated TLS1\.3 group: [^\n]*`).FindString(r.output())
		if !strings.Contains(key, "prime256v1") && !strings.Contains(key, "P-256") {
			t.Errorf("key exchange %q, want P-256 (X25519 alone is not a FIPS group):\n%s", key, r)
		}
		t.Logf("s_client: %s", key)
	})
	for _, tc := range []struct {
		name, why string
		args      []string
	}{
		{"X25519 only", "X25519 is not a FIPS group", []string{"-tls1_3", "-groups", "X25519"}},
		{"TLS 1.3 ChaCha20", "ChaCha20-Poly1305 is not FIPS approved", []string{"-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"}},
		{"TLS 1.2 ChaCha20", "ChaCha20-Poly1305 is not FIPS approved", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"}},
	} {
		t.Run("openssl "+tc.name+" refused", func(t *testing.T) {
			r := sClient(tc.args...)
			if r.err == nil {
				t.Fatalf("%s: the server accepted it in FIPS mode:\n%s", tc.why, r)
			}
			if !strings.Contains(r.output(), "handshake failure") {
				t.Errorf("%s: s_client failed, but not with a handshake_failure alert:\n%s", tc.why, r)
			}
		})
	}
}
