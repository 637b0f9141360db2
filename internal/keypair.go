package internal

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

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

	password func() ([]byte, error) // WithKeyPassword, or nil
	cur      atomic.Pointer[tls.Certificate]
	next     atomic.Int64 // unix nanoseconds of the next check
	mu       sync.Mutex   // held by the one goroutine that checks
	stamp    [2]fileStamp
	lastErr  string
	interval time.Duration
	now      func() time.Time
	logf     func(format string, args ...any)
}

type fileStamp struct {
	size int64
	mod  time.Time
}

// LoadKeyPair reads the pair once; an error here is an error of the
// constructor that was given the files.
func LoadKeyPair(certFile, keyFile string, logger *log.Logger, password func() ([]byte, error)) (*KeyPair, error) {
	kp := &KeyPair{CertFile: certFile, KeyFile: keyFile, password: password, interval: ReloadInterval, now: time.Now}
	if logger != nil {
		kp.logf = logger.Printf
	} else {
		kp.logf = log.Printf
	}
	st, err := kp.stat()
	if err != nil {
		return nil, err
	}
	c, err := kp.load()
	if err != nil {
		return nil, err
	}
	kp.stamp = st
	kp.cur.Store(c)
	kp.next.Store(kp.now().Add(kp.interval).UnixNano())
	return kp, nil
}

// SetClock replaces the clock and the interval (tests).
func (kp *KeyPair) SetClock(now func() time.Time, interval time.Duration) {
	kp.mu.Lock()
	defer kp.mu.Unlock()
	kp.now, kp.interval = now, interval
	kp.next.Store(now().UnixNano())
}

func (kp *KeyPair) stat() ([2]fileStamp, error) {
	var st [2]fileStamp
	for i, name := range []string{kp.CertFile, kp.KeyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return st, fmt.Errorf("WithKeyPairFiles: %w", err)
		}
		if err := checkKeyPairFile(name, fi); err != nil {
			return st, err
		}
		st[i] = fileStamp{fi.Size(), fi.ModTime()}
	}
	return st, nil
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
	if kp.now().UnixNano() >= kp.next.Load() && kp.mu.TryLock() {
		kp.checkLocked()
		kp.mu.Unlock()
	}
	return kp.cur.Load()
}

func (kp *KeyPair) checkLocked() {
	kp.next.Store(kp.now().Add(kp.interval).UnixNano())
	st, err := kp.stat()
	if err == nil && st == kp.stamp {
		return
	}
	var c *tls.Certificate
	if err == nil {
		c, err = kp.load()
	}
	if err != nil {
		if msg := err.Error(); msg != kp.lastErr {
			kp.lastErr = msg
			kp.logf("tlsdefault: keeping the previous certificate: %v", err)
		}
		return
	}
	kp.stamp, kp.lastErr = st, ""
	kp.cur.Store(c)
}
