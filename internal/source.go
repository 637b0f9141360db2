package internal

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// CertSource is the root package's CertificateSource: a GetCertificate
// callback, as *autocert.Manager and *certmagic.Config have.
type CertSource interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

// SourceError is a handshake a certificate source could not serve: it
// returned an error, returned no certificate, or returned one that the
// policy refuses. It names the SNI name (quoted: it is the peer's text).
type SourceError struct {
	// SNI is the name the client asked for ("" when it sent none).
	SNI string
	// Reason says what went wrong, in plain words.
	Reason string
	// Err is the source's own error, if it returned one.
	Err error
}

func (e *SourceError) Error() string {
	return "tlsdefault: " + e.Explain()
}

// Explain is the error without the package prefix.
func (e *SourceError) Explain() string {
	sni := "no SNI name"
	if e.SNI != "" {
		sni = "SNI name " + safetext.Quote(e.SNI)
	}
	msg := "the certificate source (WithCertificateSource) " + e.Reason + " for " + sni
	if e.Err != nil {
		msg += ": " + safetext.Escape(e.Err.Error(), 512)
	}
	return msg
}

func (e *SourceError) Unwrap() error { return e.Err }

// maxChecked bounds the certificates whose check is remembered.
const maxChecked = 1024

// SourceChecker applies the policy to the certificates a source returns,
// once per distinct certificate (by a hash of the leaf): the leaf parses,
// its key meets the floor and matches the private key. Expiry is checked on
// every handshake (it changes with time), against the remembered leaf.
type SourceChecker struct {
	mu      sync.Mutex
	checked map[[32]byte]checkedCert
	now     func() time.Time
	parses  int // full checks done (tests)
}

type checkedCert struct {
	leaf   *x509.Certificate
	reason string // "" when the certificate passed
}

// NewSourceChecker returns an empty checker.
func NewSourceChecker() *SourceChecker {
	return &SourceChecker{checked: make(map[[32]byte]checkedCert), now: time.Now}
}

// Get asks src for the certificate of hello and checks it.
func (sc *SourceChecker) Get(src CertSource, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	sni := hello.ServerName
	cert, err := getCertificate(src, hello)
	if pe, ok := err.(*PanicError); ok {
		return nil, &SourceError{SNI: sni, Reason: "panicked in GetCertificate", Err: pe}
	}
	if err != nil {
		return nil, &SourceError{SNI: sni, Reason: "returned an error", Err: err}
	}
	if cert == nil {
		return nil, &SourceError{SNI: sni, Reason: "returned no certificate"}
	}
	if r := sc.check(cert); r != "" {
		return nil, &SourceError{SNI: sni, Reason: "returned a certificate that is refused (" + r + ")"}
	}
	return cert, nil
}

// Len returns how many certificates are remembered (tests).
func (sc *SourceChecker) Len() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.checked)
}

// check returns why cert is refused, or "".
func (sc *SourceChecker) check(cert *tls.Certificate) string {
	if len(cert.Certificate) == 0 {
		return "its chain is empty"
	}
	h := sha256.Sum256(cert.Certificate[0])
	sc.mu.Lock()
	cc, ok := sc.checked[h]
	sc.mu.Unlock()
	if !ok {
		cc = checkSourceCert(cert)
		sc.mu.Lock()
		sc.parses++
		if len(sc.checked) >= maxChecked {
			// Forget one (any) entry: the bound matters, not which.
			for k := range sc.checked {
				delete(sc.checked, k)
				break
			}
		}
		sc.checked[h] = cc
		sc.mu.Unlock()
	}
	if cc.reason != "" {
		return cc.reason
	}
	if now := sc.now(); now.After(cc.leaf.NotAfter) {
		return fmt.Sprintf("certificate %s expired on %s", safetext.Quote(cc.leaf.Subject.String()), cc.leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return ""
}

// checkSourceCert checks a certificate without modifying it (the source
// owns it and may hand it to other handshakes at the same time).
func checkSourceCert(cert *tls.Certificate) checkedCert {
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return checkedCert{reason: "its leaf certificate does not parse: " + err.Error()}
	}
	c := *cert
	c.Leaf = leaf
	if err := CheckCertificate(&c); err != nil {
		return checkedCert{leaf: leaf, reason: err.Error()}
	}
	return checkedCert{leaf: leaf}
}

// getCertificate calls the source, turning a panic into an error: it runs
// in the handshake goroutine, where a panic would end the server process.
func getCertificate(src CertSource, hello *tls.ClientHelloInfo) (cert *tls.Certificate, err error) {
	defer func() {
		if v := recover(); v != nil {
			cert, err = nil, &PanicError{What: "it", Value: v}
		}
	}()
	return src.GetCertificate(hello)
}
