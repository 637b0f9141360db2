package internal

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"os"
	"sync/atomic"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/filewatch"
	"github.com/tlsdefault/tlsdefault/internal/fsx"
)

// CheckCertificate checks a certificate before it is used as our own
// identity: it has a leaf that parses, a private key that matches it, and a
// key that meets the policy. What crypto/tls would only find at the first
// handshake is found here.
func CheckCertificate(cert *tls.Certificate) error {
	if len(cert.Certificate) == 0 {
		return errors.New("the certificate chain is empty")
	}
	leaf := cert.Leaf
	if leaf == nil {
		var err error
		leaf, err = x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return fmt.Errorf("parsing the leaf certificate: %w", err)
		}
		cert.Leaf = leaf
	}
	if cert.PrivateKey == nil {
		return fmt.Errorf("certificate %q has no private key", leaf.Subject.String())
	}
	pk, ok := cert.PrivateKey.(interface{ Public() crypto.PublicKey })
	if !ok {
		return fmt.Errorf("private key of type %T cannot sign", cert.PrivateKey)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if eq, ok := pk.Public().(equaler); !ok || !eq.Equal(leaf.PublicKey) {
		return fmt.Errorf("private key does not match the public key of certificate %q", leaf.Subject.String())
	}
	if r := CheckKey(leaf.PublicKey); r != "" {
		return fmt.Errorf("certificate %q: %s", leaf.Subject.String(), r)
	}
	return nil
}

// KeyPair is a certificate and key read from two files and read again when
// either changes on disk. Lookups are safe for concurrent use and cost one
// atomic load, plus one stat of each file at most once per interval.
type KeyPair struct {
	CertFile, KeyFile string

	// OnReload, when set before use, is called after each reload with
	// its error (nil when the new pair is in use); a failure repeated is
	// not reported again.
	OnReload func(err error)

	password func() ([]byte, error) // WithKeyPassword, or nil
	cur      atomic.Pointer[tls.Certificate]
	watch    *filewatch.Watcher // device, inode, size, times, link target of both files
	logf     func(format string, args ...any)
}

// LoadKeyPair reads the pair once; an error here is an error of the
// constructor that was given the files.
func LoadKeyPair(certFile, keyFile string, logger *log.Logger, password func() ([]byte, error)) (*KeyPair, error) {
	kp := &KeyPair{CertFile: certFile, KeyFile: keyFile, password: password}
	if logger != nil {
		kp.logf = logger.Printf
	} else {
		kp.logf = log.Printf
	}
	if err := kp.stat(); err != nil {
		return nil, err
	}
	// Stamped before reading, so that a change made while the files are
	// read is seen at the next check.
	w, err := filewatch.New(ReloadInterval, []string{certFile, keyFile}, nil)
	if err != nil {
		return nil, fmt.Errorf("WithKeyPairFiles: %w", err)
	}
	c, err := kp.load()
	if err != nil {
		return nil, err
	}
	kp.watch = w
	kp.cur.Store(c)
	return kp, nil
}

// SetClock replaces the clock and the interval (tests).
func (kp *KeyPair) SetClock(now func() time.Time, interval time.Duration) {
	kp.watch.SetClock(now, interval)
}

// stat checks that both files are regular files under the size limit
// before they are opened.
func (kp *KeyPair) stat() error {
	for _, name := range []string{kp.CertFile, kp.KeyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return fmt.Errorf("WithKeyPairFiles: %w", err)
		}
		if err := checkKeyPairFile(name, fi); err != nil {
			return err
		}
	}
	return nil
}

// maxKeyPairFile caps the size of a certificate or key file: a chain of a
// few certificates is a few kilobytes.
const maxKeyPairFile = 1 << 20

// checkKeyPairFile refuses what is not a regular file of at most
// maxKeyPairFile bytes: a FIFO would block the reader for ever (in a
// handshake, holding the reload lock), a device such as /dev/zero would
// never end.
func checkKeyPairFile(name string, fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("WithKeyPairFiles: %s is not a regular file", name)
	}
	if fi.Size() > maxKeyPairFile {
		return fmt.Errorf("WithKeyPairFiles: %s: %d bytes is over the %d KiB limit", name, fi.Size(), maxKeyPairFile>>10)
	}
	return nil
}

// readKeyPairFile reads a file that checkKeyPairFile accepts, through the
// one bounded reader of regular files (opened without blocking on a FIFO,
// checked on the open file).
func readKeyPairFile(name string) ([]byte, error) {
	data, err := fsx.ReadFile(name, maxKeyPairFile)
	switch {
	case errors.Is(err, fsx.ErrIsDir), errors.Is(err, fsx.ErrNotRegular):
		return nil, fmt.Errorf("WithKeyPairFiles: %s is not a regular file", name)
	case errors.Is(err, fsx.ErrTooLarge):
		return nil, fmt.Errorf("WithKeyPairFiles: %s is over the %d KiB limit", name, maxKeyPairFile>>10)
	case err != nil:
		return nil, fmt.Errorf("WithKeyPairFiles: %w", err)
	}
	return data, nil
}

func (kp *KeyPair) load() (*tls.Certificate, error) {
	certPEM, err := readKeyPairFile(kp.CertFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readKeyPairFile(kp.KeyFile)
	if err != nil {
		return nil, err
	}
	c, err := x509KeyPair(certPEM, keyPEM, kp.KeyFile, kp.password)
	if err != nil {
		return nil, fmt.Errorf("WithKeyPairFiles: %s, %s: %w", kp.CertFile, kp.KeyFile, err)
	}
	if err := CheckCertificate(&c); err != nil {
		return nil, fmt.Errorf("WithKeyPairFiles: %s: %w", kp.CertFile, err)
	}
	return &c, nil
}

// Current returns the pair in use, first checking the files when the
// interval has passed. A pair that fails to load is reported once and the
// last good pair keeps serving.
func (kp *KeyPair) Current() *tls.Certificate {
	o := kp.watch.Check(kp.reload)
	if o.Err != nil && !o.Repeated {
		kp.logf("tlsdefault: keeping the previous certificate: %v", o.Err)
	}
	if o.Changed && !o.Repeated && kp.OnReload != nil {
		kp.OnReload(o.Err)
	}
	return kp.cur.Load()
}

func (kp *KeyPair) reload() error {
	if err := kp.stat(); err != nil {
		return err
	}
	c, err := kp.load()
	if err != nil {
		return err
	}
	kp.cur.Store(c)
	return nil
}
