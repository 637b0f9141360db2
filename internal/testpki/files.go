package testpki

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes the CA certificate as PEM to dir/name with mode 0644 and
// returns the path. Like [Leaf.WriteFiles] it replaces an existing file
// atomically.
func (ca *CA) WriteFile(t testing.TB, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	writeAtomic(t, path, ca.CertPEM(), 0o644)
	return path
}

// WriteFiles writes the certificate chain ([Leaf.CertPEM]) to dir/cert.pem
// with mode 0644 and the key ([Leaf.KeyPEM]) to dir/key.pem with mode 0600,
// and returns the two paths. Existing files are replaced atomically, so it
// can be called again to rotate; see [Leaf.WriteFilesNamed] for the details.
func (l *Leaf) WriteFiles(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	return l.write(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
}

// WriteFilesNamed is like [Leaf.WriteFiles] but names the files base+".crt"
// and base+".key".
//
// Each file is replaced atomically: it is written to a temporary file in dir
// and renamed over the old one, so a reader never sees a partial file. The
// key is renamed first and the certificate second; these are two separate
// renames, so during rotation a reader may briefly see the new key with the
// old certificate, and a reloader should treat a mismatch as transient.
func (l *Leaf) WriteFilesNamed(t testing.TB, dir, base string) (certFile, keyFile string) {
	t.Helper()
	return l.write(t, filepath.Join(dir, base+".crt"), filepath.Join(dir, base+".key"))
}

func (l *Leaf) write(t testing.TB, certFile, keyFile string) (string, string) {
	t.Helper()
	key := l.KeyPEM()
	if key == nil {
		t.Fatalf("testpki: leaf key %T cannot be encoded as PKCS #8", l.Key)
	}
	writeAtomic(t, keyFile, key, 0o600)
	writeAtomic(t, certFile, l.CertPEM(), 0o644)
	return certFile, keyFile
}

// writeAtomic writes data to a temporary file next to path, sets mode, and
// renames it to path.
func writeAtomic(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		t.Fatalf("testpki: write %s: %v", path, err)
	}
}
