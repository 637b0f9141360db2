package internal_test

import (
	"bytes"
	"errors"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// opensslEncrypt encrypts a PKCS#8 key PEM with `openssl pkcs8 -topk8 -v2
// aes-256-cbc`, as a user would.
func opensslEncrypt(t *testing.T, keyPEM []byte, password string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is not installed (%v); CI must provide it", err)
		}
		t.Skipf("openssl is not installed (%v); under CI=true this is a failure", err)
	}
	if len(args) == 0 {
		args = []string{"pkcs8", "-topk8", "-v2", "aes-256-cbc"}
	}
	cmd := exec.Command("openssl", append(args, "-passout", "env:TLSDEFAULT_TEST_PASS")...)
	cmd.Env = append(os.Environ(), "TLSDEFAULT_TEST_PASS="+password)
	cmd.Stdin = bytes.NewReader(keyPEM)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %v: %v: %s", args, err, stderr.String())
	}
	return out
}

func TestEncryptedKeyPair(t *testing.T) {
	ca := testpki.NewCA(t)
	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
	const secret = "s3cret-pa55word"
	pw := func(p string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(p), nil } }
	for _, leaf := range []*testpki.Leaf{ca.Server(t), rsaCA.Issue(t, testpki.RSABits(2048))} {
		dir := t.TempDir()
		certFile, keyFile := leaf.WriteFiles(t, dir)
		enc := opensslEncrypt(t, leaf.KeyPEM(), secret)
		if !bytes.HasPrefix(enc, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
			t.Fatalf("openssl wrote %q", enc[:40])
		}
		os.WriteFile(keyFile, enc, 0o600)
		kp, err := internal.LoadKeyPair(certFile, keyFile, nil, pw(secret))
		if err != nil {
			t.Fatalf("right password: %v", err)
		}
		if !kp.Current().Leaf.Equal(leaf.Cert) {
			t.Fatal("wrong certificate")
		}
		_, err = internal.LoadKeyPair(certFile, keyFile, nil, pw("guess"))
		if err == nil || !strings.Contains(err.Error(), keyFile) || !strings.Contains(err.Error(), "does not decrypt") || strings.Contains(err.Error(), "guess") {
			t.Fatalf("wrong password: %v", err)
		}
		_, err = internal.LoadKeyPair(certFile, keyFile, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "WithKeyPassword") || !strings.Contains(err.Error(), keyFile) {
			t.Fatalf("no password: %v", err)
		}
		boom := errors.New("vault sealed")
		_, err = internal.LoadKeyPair(certFile, keyFile, nil, func() ([]byte, error) { return nil, boom })
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), keyFile) {
			t.Fatalf("password function error: %v", err)
		}
		// An unencrypted key is read as before, password or not.
		os.WriteFile(keyFile, leaf.KeyPEM(), 0o600)
		if _, err := internal.LoadKeyPair(certFile, keyFile, nil, pw(secret)); err != nil {
			t.Fatalf("unencrypted key with a password: %v", err)
		}
	}
}

func TestLegacyEncryptedKeyRefused(t *testing.T) {
	ca := testpki.NewCA(t, testpki.RSABits(2048))
	leaf := ca.Issue(t, testpki.RSABits(2048))
	dir := t.TempDir()
	certFile, keyFile := leaf.WriteFiles(t, dir)
	old := opensslEncrypt(t, leaf.KeyPEM(), "pw", "rsa", "-traditional", "-aes256")
	if !bytes.Contains(old, []byte("Proc-Type: 4,ENCRYPTED")) {
		t.Fatalf("openssl wrote %q", old)
	}
	os.WriteFile(keyFile, old, 0o600)
	_, err := internal.LoadKeyPair(certFile, keyFile, nil, func() ([]byte, error) { return []byte("pw"), nil })
	if err == nil || !strings.Contains(err.Error(), "openssl pkcs8 -topk8 -v2 aes-256-cbc -in "+keyFile) || !strings.Contains(err.Error(), "Proc-Type") {
		t.Fatalf("legacy encrypted key: %v", err)
	}
}

// TestEncryptedKeyPairReload: the password is asked for again when the
// files change (a rotated key may come with a rotated password), and a
// wrong one keeps the last good pair without the password in the log.
func TestEncryptedKeyPairReload(t *testing.T) {
	ca := testpki.NewCA(t)
	a, b := ca.Server(t), ca.Server(t)
	dir := t.TempDir()
	certFile, keyFile := a.WriteFiles(t, dir)
	os.WriteFile(keyFile, opensslEncrypt(t, a.KeyPEM(), "first"), 0o600)
	encB := opensslEncrypt(t, b.KeyPEM(), "second")
	synctest.Test(t, func(t *testing.T) {
		var logBuf bytes.Buffer
		var current atomic.Value
		current.Store("first")
		var calls atomic.Int32
		kp, err := internal.LoadKeyPair(certFile, keyFile, log.New(&logBuf, "", 0), func() ([]byte, error) {
			calls.Add(1)
			return []byte(current.Load().(string)), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 { // unchanged files: not asked again
			time.Sleep(2 * internal.ReloadInterval)
			kp.Current()
		}
		if calls.Load() != 1 {
			t.Fatalf("password asked %d times for unchanged files", calls.Load())
		}
		b.WriteFiles(t, dir)
		os.WriteFile(keyFile, encB, 0o600)
		time.Sleep(2 * internal.ReloadInterval)
		if !kp.Current().Leaf.Equal(a.Cert) {
			t.Fatal("pair with a wrong password served")
		}
		if strings.Contains(logBuf.String(), "first") || !strings.Contains(logBuf.String(), "does not decrypt") {
			t.Fatalf("log: %q", logBuf.String())
		}
		// A pair that failed to load is tried again at each interval,
		// so the password in force then is used.
		current.Store("second")
		time.Sleep(2 * internal.ReloadInterval)
		if !kp.Current().Leaf.Equal(b.Cert) {
			t.Fatalf("rotated pair with its new password not served; log %q", logBuf.String())
		}
		if strings.Contains(logBuf.String(), "second") {
			t.Fatalf("password in the log: %q", logBuf.String())
		}
	})
}
