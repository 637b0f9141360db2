package main

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
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

// writeFileAtomic writes data to a temporary file next to path with the
// given mode, then renames it to path.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return copyFileAtomic(path, bytes.NewReader(data), mode)
}

// copyFileAtomic copies r to a temporary file next to path with the given
// mode, then renames it to path. The temporary file is removed if any step
// fails.
func copyFileAtomic(path string, r io.Reader, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
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
	if err := tmp.Chmod(mode); err != nil {
		return err
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
