package capool

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	testKeyOnce sync.Once
	testKey     *ecdsa.PrivateKey
)

// sharedKey returns one P-256 key for all test certificates, to keep
// generation fast; certificates differ by subject.
func sharedKey(t testing.TB) *ecdsa.PrivateKey {
	testKeyOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

var serialCounter struct {
	sync.Mutex
	n int64
}

func nextSerial() *big.Int {
	serialCounter.Lock()
	defer serialCounter.Unlock()
	serialCounter.n++
	return big.NewInt(serialCounter.n + time.Now().UnixNano()%1000000*1000)
}

// testCA is a self-signed CA for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newCA makes a self-signed CA with the given common name.
func newCA(t testing.TB, cn string) *testCA {
	t.Helper()
	return newCAName(t, pkix.Name{CommonName: cn, Organization: []string{"capool test"}}, nil)
}

// newCAName makes a self-signed CA; rawSubject, if set, is used verbatim.
func newCAName(t testing.TB, name pkix.Name, rawSubject []byte) *testCA {
	t.Helper()
	return newCAKey(t, name, rawSubject, sharedKey(t))
}

// newCAOwnKey makes a self-signed CA with a key of its own.
func newCAOwnKey(t testing.TB, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newCAKey(t, pkix.Name{CommonName: cn, Organization: []string{"capool test"}}, nil, key)
}

func newCAKey(t testing.TB, name pkix.Name, rawSubject []byte, key *ecdsa.PrivateKey) *testCA {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               name,
		RawSubject:            rawSubject,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return &testCA{cert: cert, key: key}
}

// issue makes a certificate signed by ca. With isCA it is an intermediate.
func (ca *testCA) issue(t testing.TB, cn string, isCA bool) *testCA {
	t.Helper()
	return ca.issueWith(t, cn, isCA, x509.ExtKeyUsageServerAuth)
}

// issueEKU issues a leaf for one extended key usage.
func (ca *testCA) issueEKU(t testing.TB, cn string, eku x509.ExtKeyUsage) *testCA {
	t.Helper()
	return ca.issueWith(t, cn, false, eku)
}

func (ca *testCA) issueWith(t testing.TB, cn string, isCA bool, eku x509.ExtKeyUsage) *testCA {
	t.Helper()
	key := sharedKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if isCA {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		tmpl.DNSNames = []string{cn}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{eku}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return &testCA{cert: cert, key: key}
}

func pemOf(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// peer finds a real peer program (openssl, python3). Under CI=true a
// missing one fails the test; elsewhere the test is skipped.
func peer(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI=true: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}
