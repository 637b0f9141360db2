package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// lockedBuffer is an output buffer for a subprocess read while it runs:
// the package's one synchronised buffer (main_test.go).
type lockedBuffer = syncBuffer

// startSServer starts openssl s_server on a port it picks and returns the
// port (the test is skipped without openssl, failed under CI=true).
func startSServer(t *testing.T, args ...string) string {
	t.Helper()
	openssl := findOpenSSL(t)
	if openssl == "" {
		t.Skip("openssl not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	cmd := exec.CommandContext(ctx, openssl, append([]string{"s_server", "-accept", "127.0.0.1:0", "-www"}, args...)...)
	out := new(lockedBuffer)
	cmd.Stdout, cmd.Stderr = out, io.Discard
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	re := regexp.MustCompile(`(?m)^ACCEPT\s+\S*:(\d+)\s*$`)
	for range 500 {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("openssl s_server did not start: %s", out)
	return ""
}

func runGetInProcess(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"get"}, args...), &out, &errb)
	return code, errb.String()
}

// TestGetHintsFromCause: the hints of get follow the library's Cause. A
// TLS 1.2 server that requires a client certificate (openssl s_server
// -Verify 1 -no_tls1_3) is a missing client certificate, never a suite
// problem, and no hint suggests --legacy-host.
func TestGetHintsFromCause(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	caFile := ca.WriteFile(t, dir, "ca.pem")
	crt, key := ca.Server(t).WriteFiles(t, dir)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"tls1.2", []string{"-no_tls1_3"}},
		{"tls1.3", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := startSServer(t, append([]string{"-cert", crt, "-key", key, "-Verify", "1", "-CAfile", caFile, "-verify_return_error"}, tc.args...)...)
			code, stderr := runGetInProcess(t, "--cafile", caFile, "https://127.0.0.1:"+port+"/")
			if code != exitFailure {
				t.Fatalf("exit %d, want %d:\n%s", code, exitFailure, stderr)
			}
			if !strings.Contains(stderr, "hint: give a client certificate with --cert FILE --key FILE") || !strings.Contains(stderr, "client certificate required") {
				t.Errorf("no client-certificate hint:\n%s", stderr)
			}
			if strings.Contains(stderr, "legacy") || strings.Contains(stderr, "cipher suite") {
				t.Errorf("a missing client certificate is explained as a legacy or suite problem:\n%s", stderr)
			}
		})
	}
}

// TestGetEscapesPeerText: a certificate name with terminal escapes reaches
// stderr escaped.
func TestGetEscapesPeerText(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "\x1b[2Jevil"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"\x1b]0;pwned\x07\x1b[2J\nFAKE: verified OK"},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ca := testpki.NewCA(t)
	_, stderr := runGetInProcess(t, "--cafile", ca.WriteFile(t, t.TempDir(), "ca.pem"), "https://127.0.0.1:"+port+"/")
	if strings.ContainsAny(stderr, "\x1b\x07") || strings.Contains(stderr, "\nFAKE") {
		t.Errorf("control characters of the certificate reach stderr: %q", stderr)
	}
	if !strings.Contains(stderr, `\x1b`) {
		t.Errorf("the escaped name is not shown: %q", stderr)
	}
}
