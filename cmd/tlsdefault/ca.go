package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The throwaway PKI of "serve" and "demo". It is made fresh each time, in
// memory, with mkcert's template choices (SANs sorted by type, extended key
// usage by purpose, a Subject Key Identifier, a 128-bit serial, PKCS #8
// keys), and ECDSA P-256 keys, which are quick to make and meet the floor.
// internal/testpki is for tests only; this one ships with the command.

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

func newThrowawayCA() (*throwawayCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	now := time.Now()
	// The serial in the name keeps two throwaway CAs apart, also in a
	// hashed capath directory, where CAs are found by subject name.
	name := pkix.Name{
		Organization: []string{"tlsdefault throwaway"},
		CommonName:   fmt.Sprintf("tlsdefault throwaway CA %x", serial.Bytes()[:4]),
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(throwawayValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
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
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization: []string{"tlsdefault throwaway"},
			CommonName:   cn,
		},
		NotBefore:      now.Add(-time.Hour),
		NotAfter:       now.Add(throwawayValidity),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{usage},
		SubjectKeyId:   skid,
		AuthorityKeyId: ca.cert.SubjectKeyId,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &issued{cert: cert, key: key}, nil
}

// tls returns the certificate for a tls.Config.
func (l *issued) tls() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{l.cert.Raw}, PrivateKey: l.key, Leaf: l.cert}
}

func (l *issued) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: l.cert.Raw})
}

func (l *issued) keyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(l.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func (ca *throwawayCA) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, err
		}
		if len(n.Bytes()) >= 4 { // room for the name suffix; and never zero
			return n, nil
		}
	}
}

// subjectKeyID is the SHA-1 of the public key bits (RFC 5280, 4.2.1.2,
// method 1), as mkcert makes it.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

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
