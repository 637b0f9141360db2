package tlsdefault_test

// A WithKeyPassword callback that panics when the key pair is read again
// must not take the server down (found by the second red-team pass).

import (
	"bytes"
	"crypto/tls"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func TestKeyPasswordPanicOnReload(t *testing.T) {
	if os.Getenv("KEYPASS_PANIC_CHILD") == "1" {
		keyPasswordPanicChild(t)
		return
	}
	if testing.Short() {
		t.Skip("child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeyPasswordPanicOnReload$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KEYPASS_PANIC_CHILD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !bytes.Contains(out.Bytes(), []byte("CHILD-SURVIVED")) {
			t.Fatalf("the server process died when the password callback panicked on reload: %v\n%s", err, keyPassLastLines(out.Bytes(), 15))
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("child timed out")
	}
}

func keyPassLastLines(b []byte, n int) []byte {
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, []byte("\n"))
}

func keyPasswordPanicChild(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "localhost")
	dir := t.TempDir()
	certFile, keyFile := leaf.WriteFiles(t, dir)
	calls := 0
	pw := func() ([]byte, error) {
		calls++
		if calls > 1 {
			var secrets []string
			_ = secrets[0] // the rotated secret is gone: index out of range
		}
		return []byte("hunter22"), nil
	}
	// An unencrypted key is read without the callback; encrypt it with
	// openssl so that the callback runs.
	openssl := requirePeer(t, "openssl")
	enc := func() []byte {
		cmd := exec.Command(openssl, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:hunter22")
		cmd.Stdin = bytes.NewReader(leaf.KeyPEM())
		b, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if err := os.WriteFile(keyFile, enc(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startTLSServer(t, tlsdefault.WithKeyPairFiles(certFile, keyFile), tlsdefault.WithKeyPassword(pw))
	time.Sleep(1200 * time.Millisecond) // past the reload interval (1 s)
	if err := os.WriteFile(keyFile+".new", enc(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(keyFile+".new", keyFile); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	dialTLS(t, s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	time.Sleep(300 * time.Millisecond)
	os.Stdout.WriteString("CHILD-SURVIVED\n")
}
