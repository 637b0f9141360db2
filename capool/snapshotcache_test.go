package capool

import (
	"crypto/x509"
	"os"
	"testing"
)

// CertPoolNow returns the pool it built while the directory holds the same
// CAs (a server calls it at each handshake), builds a new one when a CA is
// added, and a kept pool still refuses a CA deleted since.
func TestCertPoolNowKeptWhileUnchanged(t *testing.T) {
	a, b := newCA(t, "kept A"), newCA(t, "kept B")
	leafA, leafB := a.issue(t, "a.test", false), b.issue(t, "b.test", false)
	dir := t.TempDir()
	fileA := writeHashed(t, dir, a)
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	first := p.CertPoolNow(x509.ExtKeyUsageServerAuth)
	if again := p.CertPoolNow(x509.ExtKeyUsageServerAuth); again != first {
		t.Fatal("CertPoolNow built a new pool for an unchanged directory")
	}
	if p.CertPoolNow(x509.ExtKeyUsageClientAuth) == first {
		t.Fatal("the pools of two purposes are one")
	}
	if err := verifyWith(first, leafA); err != nil {
		t.Fatal(err)
	}
	writeHashed(t, dir, b)
	added := p.CertPoolNow(x509.ExtKeyUsageServerAuth)
	if added == first {
		t.Fatal("CertPoolNow kept its pool after a CA was added")
	}
	if err := verifyWith(added, leafB); err != nil {
		t.Fatalf("CA added: %v", err)
	}
	if err := os.Remove(fileA); err != nil {
		t.Fatal(err)
	}
	if err := verifyWith(added, leafA); err == nil {
		t.Fatal("a kept pool accepted a CA deleted since")
	}
	if err := verifyWith(p.CertPoolNow(x509.ExtKeyUsageServerAuth), leafA); err == nil {
		t.Fatal("deleted CA accepted")
	}
}

// InCapath finds a CA in the directory now, by its subject hash.
func TestInCapath(t *testing.T) {
	a, b := newCA(t, "in A"), newCA(t, "in B")
	dir := t.TempDir()
	fileA := writeHashed(t, dir, a)
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !p.InCapath(a.cert) || p.InCapath(b.cert) || p.InCapath(nil) {
		t.Fatal("InCapath wrong before the change")
	}
	writeHashed(t, dir, b)
	os.Remove(fileA)
	if p.InCapath(a.cert) || !p.InCapath(b.cert) {
		t.Fatal("InCapath wrong after the change")
	}
	var nilPool *Pool
	if nilPool.InCapath(a.cert) {
		t.Fatal("nil pool holds a CA")
	}
}
