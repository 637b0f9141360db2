package internal_test

import (
	"bytes"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func TestKeyPairReload(t *testing.T) {
	ca := testpki.NewCA(t)
	a, b, c := ca.Server(t), ca.Server(t), ca.Server(t)
	dir := t.TempDir()
	certFile, keyFile := a.WriteFiles(t, dir)
	synctest.Test(t, func(t *testing.T) {
		var logBuf bytes.Buffer
		kp, err := internal.LoadKeyPair(certFile, keyFile, log.New(&logBuf, "", 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		serial := func() string { return kp.Current().Leaf.SerialNumber.String() }
		if serial() != a.Cert.SerialNumber.String() {
			t.Fatal("first pair not served")
		}
		b.WriteFiles(t, dir)
		// Within the interval the files are not looked at.
		time.Sleep(internal.ReloadInterval / 2)
		if serial() != a.Cert.SerialNumber.String() {
			t.Fatal("files checked before the interval passed")
		}
		time.Sleep(internal.ReloadInterval)
		if serial() != b.Cert.SerialNumber.String() {
			t.Fatal("new pair not picked up after the interval")
		}
		// A broken certificate keeps the last good pair, reported once.
		os.WriteFile(certFile, []byte("garbage"), 0o644)
		for range 5 {
			time.Sleep(internal.ReloadInterval)
			if serial() != b.Cert.SerialNumber.String() {
				t.Fatal("broken pair replaced the good one")
			}
		}
		if n := strings.Count(logBuf.String(), "keeping the previous certificate"); n != 1 {
			t.Fatalf("broken pair reported %d times, want once: %q", n, logBuf.String())
		}
		// A key that does not match is refused the same way.
		os.WriteFile(certFile, c.CertPEM(), 0o644)
		time.Sleep(internal.ReloadInterval)
		if serial() != b.Cert.SerialNumber.String() {
			t.Fatal("mismatched pair served")
		}
		c.WriteFiles(t, dir)
		time.Sleep(internal.ReloadInterval)
		if serial() != c.Cert.SerialNumber.String() {
			t.Fatal("repaired pair not picked up")
		}
	})
}

func TestLoadKeyPairErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := internal.LoadKeyPair(filepath.Join(dir, "no.pem"), filepath.Join(dir, "no.key"), nil, nil); err == nil || !strings.Contains(err.Error(), "no.pem") {
		t.Fatalf("missing files: %v", err)
	}
}
