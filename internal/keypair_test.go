package internal_test

import (
	"bytes"
	"io"
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

// rewriteKeepingTimes rewrites path in place with data padded (with
// newlines, which PEM ignores) to the file's size, then restores its
// modification time, as cp -p onto an existing file does.
func rewriteKeepingTimes(t *testing.T, path string, data []byte) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) > fi.Size() {
		t.Fatalf("new content (%d bytes) larger than %s (%d)", len(data), path, fi.Size())
	}
	data = append(data, bytes.Repeat([]byte("\n"), int(fi.Size())-len(data))...)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(path); fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatal("set-up: size or mtime changed")
	}
}

// TestKeyPairSameSizeSameMtime: a renewed pair written over the old files
// with their size and modification time kept (cp -p) is served.
func TestKeyPairSameSizeSameMtime(t *testing.T) {
	ca := testpki.NewCA(t)
	a, b := ca.Server(t), ca.Server(t)
	dir := t.TempDir()
	certFile, keyFile := a.WriteFiles(t, dir)
	// Room for the new certificate, whatever its length.
	os.WriteFile(certFile, append(a.CertPEM(), bytes.Repeat([]byte("\n"), 64)...), 0o644)
	synctest.Test(t, func(t *testing.T) {
		kp, err := internal.LoadKeyPair(certFile, keyFile, log.New(io.Discard, "", 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		rewriteKeepingTimes(t, keyFile, b.KeyPEM())
		rewriteKeepingTimes(t, certFile, b.CertPEM())
		time.Sleep(internal.ReloadInterval)
		if got := kp.Current().Leaf.SerialNumber; got.Cmp(b.Cert.SerialNumber) != 0 {
			t.Fatal("same-size same-mtime replacement not picked up")
		}
	})
}
