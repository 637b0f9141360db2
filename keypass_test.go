package tlsdefault_test

import (
	"bytes"
	"crypto/tls"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func TestWithKeyPassword(t *testing.T) {
	openssl := requirePeer(t, "openssl")
	ca := testpki.NewCA(t)
	leaf := ca.Server(t)
	dir := t.TempDir()
	certFile, keyFile := leaf.WriteFiles(t, dir)
	cmd := exec.Command(openssl, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:hunter22")
	cmd.Stdin = bytes.NewReader(leaf.KeyPEM())
	enc, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	pw := func() ([]byte, error) { return []byte("hunter22"), nil }
	s := startTLSServer(t, tlsdefault.WithKeyPairFiles(certFile, keyFile), tlsdefault.WithKeyPassword(pw))
	cs, err := dialTLS(t, s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil || !cs.PeerCertificates[0].Equal(leaf.Cert) {
		t.Fatalf("handshake with a decrypted key: %v", err)
	}
	// A client certificate's key, too.
	if _, err := tlsdefault.ClientConfig(tlsdefault.WithKeyPairFiles(certFile, keyFile), tlsdefault.WithKeyPassword(pw)); err != nil {
		t.Fatalf("client: %v", err)
	}
	_, err = tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithKeyPairFiles(certFile, keyFile), tlsdefault.WithKeyPassword(func() ([]byte, error) { return []byte("hunter2"), nil }))
	if err == nil || !strings.HasPrefix(err.Error(), "tlsdefault: ") || !strings.Contains(err.Error(), keyFile) || !strings.Contains(err.Error(), "does not decrypt") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("wrong password: %v", err)
	}
	_, err = tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithKeyPairFiles(certFile, keyFile))
	if err == nil || !strings.Contains(err.Error(), "WithKeyPassword") {
		t.Fatalf("encrypted key without a password: %v", err)
	}
}
