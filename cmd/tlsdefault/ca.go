package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/pki"
)

// The throwaway PKI of "serve" and "demo". It is made fresh each time, in
// memory, with the template choices of internal/pki (shared with the test
// PKI, internal/testpki): mkcert's, with ECDSA P-256 keys, which are quick
// to make and meet the floor.

// throwawayCA is a self-signed CA that lives as long as the process, or as
// long as the files it is written to.
type throwawayCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// issued is a certificate with its key.
type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// validity of the throwaway certificates: long enough for a session of
// testing, short enough that a forgotten ca.pem in a trust store expires.
const throwawayValidity = 30 * 24 * time.Hour

// throwawayOrg is the organisation of every throwaway certificate.
const throwawayOrg = "tlsdefault throwaway"

func newThrowawayCA() (*throwawayCA, error) {
	key, err := pki.NewKey()
	if err != nil {
		return nil, err
	}
	// A random suffix in the name keeps two throwaway CAs apart, also in
	// a hashed capath directory, where CAs are found by subject name.
	suffix, err := pki.Serial()
	if err != nil {
		return nil, err
	}
	spec := pki.Spec{
		Subject: pkix.Name{
			Organization: []string{throwawayOrg},
			CommonName:   fmt.Sprintf("tlsdefault throwaway CA %x", suffix.Bytes()[:4]),
		},
		CA:             true,
		MaxPathLenZero: true,
	}
	spec.NotBefore, spec.NotAfter = pki.ValidFor(throwawayValidity)
	cert, err := pki.Create(spec, key.Public(), nil, key)
	if err != nil {
		return nil, err
	}
	return &throwawayCA{cert: cert, key: key}, nil
}

// server issues a server certificate for names (DNS names and IP
// addresses).
func (ca *throwawayCA) server(names ...string) (*issued, error) {
	return ca.issue(names[0], names, x509.ExtKeyUsageServerAuth)
}

// client issues a client certificate with common name cn.
func (ca *throwawayCA) client(cn string) (*issued, error) {
	return ca.issue(cn, nil, x509.ExtKeyUsageClientAuth)
}

func (ca *throwawayCA) issue(cn string, names []string, usage x509.ExtKeyUsage) (*issued, error) {
	key, err := pki.NewKey()
	if err != nil {
		return nil, err
	}
	spec := pki.Spec{
		Subject:     pkix.Name{Organization: []string{throwawayOrg}, CommonName: cn},
		Names:       names,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	spec.NotBefore, spec.NotAfter = pki.ValidFor(throwawayValidity)
	cert, err := pki.Create(spec, key.Public(), ca.cert, ca.key)
	if err != nil {
		return nil, err
	}
	return &issued{cert: cert, key: key}, nil
}

// tls returns the certificate for a tls.Config.
func (l *issued) tls() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{l.cert.Raw}, PrivateKey: l.key, Leaf: l.cert}
}

func (l *issued) certPEM() []byte { return pki.CertPEM(l.cert.Raw) }

func (l *issued) keyPEM() ([]byte, error) { return pki.KeyPEM(l.key) }

func (ca *throwawayCA) certPEM() []byte { return pki.CertPEM(ca.cert.Raw) }

// throwawayFiles are the files "serve" writes.
type throwawayFiles struct {
	dir, caFile, certFile, keyFile, clientCertFile, clientKeyFile string
}

// writeThrowaway writes the CA, the server's pair and a client pair into
// dir, creating dir (0700) if needed. Keys are 0600; each file is written
// under a temporary name and renamed into place.
func writeThrowaway(dir string, ca *throwawayCA, srv, cli *issued) (*throwawayFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f := &throwawayFiles{
		dir:            dir,
		caFile:         filepath.Join(dir, "ca.pem"),
		certFile:       filepath.Join(dir, "cert.pem"),
		keyFile:        filepath.Join(dir, "key.pem"),
		clientCertFile: filepath.Join(dir, "client.pem"),
		clientKeyFile:  filepath.Join(dir, "client-key.pem"),
	}
	srvKey, err := srv.keyPEM()
	if err != nil {
		return nil, err
	}
	cliKey, err := cli.keyPEM()
	if err != nil {
		return nil, err
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{f.caFile, ca.certPEM(), 0o644},
		{f.certFile, srv.certPEM(), 0o644},
		{f.keyFile, srvKey, 0o600},
		{f.clientCertFile, cli.certPEM(), 0o644},
		{f.clientKeyFile, cliKey, 0o600},
	} {
		if err := writeFileAtomic(w.path, w.data, w.mode); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// writeFileAtomic writes data to a temporary file next to path with
// exactly the given mode, then renames it to path.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicWrite(path, bytes.NewReader(data), mode, true)
}

// replaceFile writes r to path as get -o does: through a temporary file
// next to it, renamed over it when complete. An existing file keeps its
// mode (through a symbolic link: the file it points to, and the link
// stays); a new one is made with mode 0666 less the umask, as the shell's
// ">" makes it.
func replaceFile(path string, r io.Reader) error {
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	fi, err := os.Stat(path)
	if err != nil {
		return atomicWrite(path, r, 0o666, false) // the kernel applies the umask
	}
	return atomicWrite(path, r, fi.Mode()&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky), true)
}

// atomicWrite copies r to a new temporary file next to path, created with
// mode perm (less the umask) and, with exact, set to perm whatever the
// umask; then renames it to path. The temporary file is removed if any
// step fails.
func atomicWrite(path string, r io.Reader, perm os.FileMode, exact bool) error {
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp", perm)
	if err != nil {
		return err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if exact {
		if err := tmp.Chmod(perm); err != nil {
			return err
		}
	}
	if _, err := io.Copy(tmp, r); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// createTemp is os.CreateTemp with a mode of the caller's (os.CreateTemp
// always uses 0600): a new file dir/prefix<random>, never an existing one.
func createTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	for range 100 {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(dir, prefix+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no unused temporary name in %s", dir)
}
