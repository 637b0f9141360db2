package tlsdefault_test

// The causes of failed handshakes against real peers: OpenSSL's s_server
// and s_client, Python's ssl module and curl, on loopback. A missing peer
// skips, or fails under CI=true (requirePeer).

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

func TestIntegrationCauseOpenSSLServer(t *testing.T) {
	t.Parallel()
	requirePeer(t, "openssl")
	p := newIntegPKI(t)
	other := testpki.NewCA(t)
	stranger := other.Client(t, "stranger")
	// Issued by the CA the server names, so it is sent, and refused
	// because it has expired.
	expired := p.ca.Issue(t, testpki.CommonName("expired"), testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth), testpki.Names(), testpki.Expired())

	for _, tc := range []struct {
		name  string
		args  []string
		opts  []tlsdefault.Option
		cause tlsdefault.Cause
		alert bool // errors.As reaches tls.AlertError
	}{
		// The case of the issue: TLS 1.2, a server that requires a client
		// certificate answers the empty Certificate with handshake_failure.
		{"client cert required tls1.2", []string{"-Verify", "1", "-CAfile", "CA", "-verify_return_error", "-no_tls1_3"}, nil, tlsdefault.CauseClientCertRequired, true},
		{"client cert required tls1.3", []string{"-Verify", "1", "-CAfile", "CA", "-verify_return_error"}, nil, tlsdefault.CauseClientCertRequired, true},
		// -no_ca_names: a server that names no CA gets our certificate
		// (one that names CAs gets it only if one of them issued it).
		{"client cert refused tls1.2", []string{"-Verify", "1", "-CAfile", "CA", "-verify_return_error", "-no_tls1_3", "-no_ca_names"}, []tlsdefault.Option{tlsdefault.WithCertificate(stranger.TLS())}, tlsdefault.CauseClientCertRefused, true},
		// (With TLS 1.3, OpenSSL 3.0's -no_ca_names sends an empty
		// certificate_authorities extension, which crypto/tls refuses as
		// a decoding error; the certificate is refused as expired instead.)
		{"client cert refused tls1.3", []string{"-Verify", "1", "-CAfile", "CA", "-verify_return_error"}, []tlsdefault.Option{tlsdefault.WithCertificate(expired.TLS())}, tlsdefault.CauseClientCertRefused, true},
		{"tls1 only", []string{"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"}, nil, tlsdefault.CauseOldVersion, true},
		{"tls1 only, legacy for another host", []string{"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"}, []tlsdefault.Option{legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet())}, tlsdefault.CauseLegacyOutOfScope, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{}, tc.args...)
			for i, a := range args {
				if a == "CA" {
					args[i] = p.caFile
				}
			}
			port, _ := startIntegSServer(t, p.serverCrt, p.serverKy, args...)
			c := newIntegClient(t, append([]tlsdefault.Option{tlsdefault.WithCAFile(p.caFile)}, tc.opts...)...)
			_, _, err := get(t, c, "https://127.0.0.1:"+port+"/")
			he := mustAs[*tlsdefault.HandshakeError](t, err)
			if he.Cause != tc.cause {
				t.Fatalf("Cause %v, want %v: %v", he.Cause, tc.cause, he)
			}
			if _, ok := errors.AsType[tls.AlertError](err); ok != tc.alert {
				t.Errorf("errors.As reaches tls.AlertError: %v, want %v", ok, tc.alert)
			}
			isMismatch := tc.cause == tlsdefault.CauseOldVersion || tc.cause == tlsdefault.CauseLegacyOutOfScope
			if !isMismatch && (strings.Contains(he.Reason, "legacy") || strings.Contains(he.Reason, "cipher")) {
				t.Errorf("the explanation names legacy or suites: %s", he.Reason)
			}
		})
	}
}

func TestIntegrationCauseClients(t *testing.T) {
	t.Parallel()
	p := newIntegPKI(t)
	other := testpki.NewCA(t)
	otherFile := other.WriteFile(t, p.dir, "other.pem")

	t.Run("openssl tls1 other SNI to scoped legacy", func(t *testing.T) {
		t.Parallel()
		openssl := requirePeer(t, "openssl")
		s := startIntegServer(t, p, legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet()))
		runIntegPeer(t, "", openssl, "s_client", "-connect", "127.0.0.1:"+s.port, "-servername", "other.test", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")
		s.waitLog(t, `SNI "other.test"`)
		s.waitLog(t, "[cause: legacy scope does not cover peer]")
	})
	t.Run("openssl tls1 no SNI to scoped legacy", func(t *testing.T) {
		t.Parallel()
		openssl := requirePeer(t, "openssl")
		s := startIntegServer(t, p, legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet()))
		runIntegPeer(t, "", openssl, "s_client", "-connect", "127.0.0.1:"+s.port, "-noservername", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")
		s.waitLog(t, "it sent no name (SNI)")
		s.waitLog(t, "[cause: legacy scope does not cover peer]")
	})
	t.Run("python without client certificate", func(t *testing.T) {
		t.Parallel()
		python := requirePeer(t, "python3")
		s := startIntegServer(t, p, tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAFile(p.caFile))
		script := `import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.recv(1)
except Exception as e:
    print(type(e).__name__, e)
`
		runIntegPeer(t, "", python, "-c", script, p.caFile, s.port)
		s.waitLog(t, "[cause: peer's client certificate missing]")
	})
	t.Run("curl that does not trust the server", func(t *testing.T) {
		t.Parallel()
		curl := requirePeer(t, "curl")
		s := startIntegServer(t, p)
		runIntegPeer(t, "", curl, "-sS", "--max-time", "5", "--cacert", otherFile, "https://localhost:"+s.port+"/", "--resolve", "localhost:"+s.port+":127.0.0.1")
		s.waitLog(t, "[cause: server certificate refused by peer]")
	})
}
