package internal

import (
	"crypto/tls"
	"errors"
	"testing"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

type fixedSource struct {
	cert *tls.Certificate
	err  error
}

func (f fixedSource) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return f.cert, f.err
}

func TestSourceCheckerOncePerCertificate(t *testing.T) {
	ca := testpki.NewCA(t)
	c := ca.Server(t).TLS()
	sc := NewSourceChecker()
	hello := &tls.ClientHelloInfo{ServerName: "a.example"}
	for range 100 {
		if _, err := sc.Get(fixedSource{cert: &c}, hello); err != nil {
			t.Fatal(err)
		}
		copied := c // another pointer, the same leaf
		copied.Leaf = nil
		if _, err := sc.Get(fixedSource{cert: &copied}, hello); err != nil {
			t.Fatal(err)
		}
	}
	if sc.parses != 1 || sc.Len() != 1 {
		t.Fatalf("one certificate checked %d times, %d remembered", sc.parses, sc.Len())
	}
	if c.Leaf == nil {
		t.Fatal("test setup")
	}
	// Bounded: many distinct certificates (ACME challenge certificates
	// are new each time) do not grow the memory without limit.
	leaf := ca.Server(t)
	for i := range maxChecked + 10 {
		d := leaf.TLS()
		der := append([]byte(nil), d.Certificate[0]...)
		der[len(der)-1] ^= byte(i) // a distinct (broken) leaf
		der[len(der)-2] ^= byte(i >> 8)
		d.Certificate = [][]byte{der}
		sc.Get(fixedSource{cert: &d}, hello)
	}
	if sc.Len() > maxChecked {
		t.Fatalf("%d certificates remembered, bound %d", sc.Len(), maxChecked)
	}
	var se *SourceError
	_, err := sc.Get(fixedSource{err: errors.New("boom")}, &tls.ClientHelloInfo{})
	if !errors.As(err, &se) || se.SNI != "" || se.Error() != "tlsdefault: the certificate source (WithCertificateSource) returned an error for no SNI name: boom" {
		t.Fatalf("error: %v", err)
	}
}

func BenchmarkSourceChecker(b *testing.B) {
	ca := testpki.NewCA(b)
	c := ca.Server(b).TLS()
	sc := NewSourceChecker()
	hello := &tls.ClientHelloInfo{ServerName: "a.example"}
	src := fixedSource{cert: &c}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.Get(src, hello); err != nil {
			b.Fatal(err)
		}
	}
}
