package capool

import (
	"bytes"
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// listingOf is a comparable form of a listing.
type listed struct {
	raw    string
	source string
	path   string
	block  int
}

func listingOf(p *Pool) []listed {
	var out []listed
	for _, e := range p.Entries() {
		out = append(out, listed{string(e.Cert.Raw), e.Source, e.Path, e.Block})
	}
	return out
}

func sameListing(t *testing.T, what string, got, want []listed) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: entry %d is %s %s block %d, want %s %s block %d (same DER: %v)", what, i,
				got[i].source, got[i].path, got[i].block, want[i].source, want[i].path, want[i].block, got[i].raw == want[i].raw)
		}
	}
}

// droppedCount counts the entries of p that hold no DER of their own.
func droppedCount(p *Pool) int {
	n := 0
	for _, e := range p.list() {
		if e.der == nil {
			n++
		}
	}
	return n
}

// bundleOf writes a cafile of cas with a comment and a CRL-like block
// between them, so that block numbers are not certificate numbers.
func bundleOf(t *testing.T, path string, cas []*testCA) string {
	var buf bytes.Buffer
	buf.WriteString("# a comment\n")
	for i, ca := range cas {
		if i == 1 {
			buf.WriteString("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
		}
		buf.Write(pemOf(ca.cert))
	}
	return writeFile(t, path, buf.Bytes())
}

func testCAs(t *testing.T, n int) []*testCA {
	cas := make([]*testCA, n)
	for i := range cas {
		cas[i] = newCA(t, "listing CA "+string(rune('A'+i)))
	}
	return cas
}

func TestListingAfterDERDropped(t *testing.T) {
	dir := t.TempDir()
	cas := testCAs(t, 4)
	cafile := bundleOf(t, filepath.Join(dir, "bundle.pem"), cas[:3])
	plain := filepath.Join(dir, "plain")
	writeFile(t, filepath.Join(plain, "one.pem"), pemOf(cas[3].cert))
	extra := newCA(t, "listing cadata")
	p, err := Load(Sources{CAFile: cafile, CAPath: plain, CAData: pemOf(extra.cert)})
	if err != nil {
		t.Fatal(err)
	}
	before := listingOf(p)
	certsBefore := p.Certificates()
	if len(before) != 5 || p.Len() != 5 {
		t.Fatalf("before use: %d entries, Len %d, want 5", len(before), p.Len())
	}
	if droppedCount(p) != 0 {
		t.Fatal("DER dropped before the x509 pool was built")
	}

	roots := p.CertPool()
	if got := droppedCount(p); got != 4 {
		t.Fatalf("after CertPool: %d entries without DER, want 4 (cafile and capath; cadata keeps its DER)", got)
	}
	sameListing(t, "after CertPool", listingOf(p), before)
	certs := p.Certificates()
	if len(certs) != len(certsBefore) {
		t.Fatalf("Certificates: %d, want %d", len(certs), len(certsBefore))
	}
	for i := range certs {
		if !certs[i].Equal(certsBefore[i]) {
			t.Errorf("Certificates()[%d] differs", i)
		}
	}
	if p.Len() != 5 || p.Empty() {
		t.Errorf("Len %d, Empty %v", p.Len(), p.Empty())
	}
	if probs := p.Problems(); len(probs) != 0 {
		t.Errorf("problems after CertPool: %v", probs)
	}
	if !strings.Contains(p.Describe(), "cafile "+cafile) {
		t.Errorf("Describe: %q", p.Describe())
	}
	// The x509 pool trusts every CA.
	for _, ca := range append(cas, extra) {
		leaf := ca.issue(t, "a.test", false)
		if _, err := leaf.cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "a.test"}); err != nil {
			t.Errorf("CA %s not trusted: %v", ca.cert.Subject.CommonName, err)
		}
	}
	// A merged pool gets the DER back from the files, and lists the same.
	sameListing(t, "merged with nothing", listingOf(Merge(p, nil, &Pool{})), before)
	m := Merge(p, mustLoadData(t, pemOf(newCA(t, "other").cert)))
	if got := listingOf(m); len(got) != 6 {
		t.Fatalf("merged: %d entries, want 6", len(got))
	} else {
		sameListing(t, "merged", got[:5], before)
	}
	mleaf := cas[0].issue(t, "m.test", false)
	if _, err := m.Verify(mleaf.cert, nil, x509.VerifyOptions{DNSName: "m.test"}); err != nil {
		t.Errorf("merged pool does not trust a CA of the cafile: %v", err)
	}
}

func mustLoadData(t *testing.T, data []byte) *Pool {
	t.Helper()
	p, err := Load(Sources{CAData: data})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestListingFileChangedAfterLoad(t *testing.T) {
	dir := t.TempDir()
	cas := testCAs(t, 4)
	cafile := bundleOf(t, filepath.Join(dir, "bundle.pem"), cas[:3])
	p, err := Load(Sources{CAFile: cafile})
	if err != nil {
		t.Fatal(err)
	}
	before := listingOf(p)
	roots := p.CertPool()

	// Reordered, with a comment more: the same certificates, listed as
	// read when the pool was loaded, and no problem.
	writeFile(t, cafile, append([]byte("# rewritten\n"), pemOf(cas[2].cert, cas[0].cert, cas[1].cert)...))
	sameListing(t, "reordered", listingOf(p), before)
	if probs := p.Problems(); len(probs) != 0 {
		t.Errorf("reordered file: problems %v", probs)
	}

	// cas[1] removed, cas[3] added: the new CA is neither trusted nor
	// listed; the removed one is still trusted (as loaded) but cannot be
	// listed, which Problems says.
	writeFile(t, cafile, pemOf(cas[0].cert, cas[3].cert, cas[2].cert))
	got := listingOf(p)
	sameListing(t, "one removed", got, []listed{before[0], before[2]})
	if p.Len() != 2 || len(p.Certificates()) != 2 {
		t.Errorf("Len %d, Certificates %d, want 2", p.Len(), len(p.Certificates()))
	}
	probs := p.Problems()
	if len(probs) != 1 {
		t.Fatalf("problems: %v, want 1", probs)
	}
	var se *SourceError
	if !errors.As(probs[0], &se) || se.Source != "cafile" || se.Path != cafile {
		t.Fatalf("problem %v is not a SourceError for the cafile", probs[0])
	}
	msg := probs[0].Error()
	for _, want := range []string{cafile, "changed since the pool was loaded", "1 of the 3 certificates", "block 3", "still trusts"} {
		if !strings.Contains(msg, want) {
			t.Errorf("problem %q does not say %q", msg, want)
		}
	}
	check := func(ca *testCA, trusted bool) {
		t.Helper()
		leaf := ca.issue(t, "c.test", false)
		_, err := leaf.cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "c.test"})
		if trusted != (err == nil) {
			t.Errorf("CA %s: trusted %v, want %v (%v)", ca.cert.Subject.CommonName, err == nil, trusted, err)
		}
	}
	check(cas[1], true)  // as loaded
	check(cas[3], false) // never loaded
	for _, e := range p.Entries() {
		if e.Cert.Equal(cas[3].cert) {
			t.Error("a CA added to the file after the load is listed")
		}
	}

	// Merge leaves out what it cannot read again, and says so.
	m := Merge(p, mustLoadData(t, pemOf(newCA(t, "other").cert)))
	if n := len(m.Entries()); n != 3 {
		t.Errorf("merged: %d entries, want 3", n)
	}
	found := false
	for _, e := range m.Problems() {
		if strings.Contains(e.Error(), "left out of the merged pool") {
			found = true
		}
	}
	if !found {
		t.Errorf("merged pool's problems do not report the CA left out: %v", m.Problems())
	}
}

func TestListingFileDeletedAfterLoad(t *testing.T) {
	dir := t.TempDir()
	cas := testCAs(t, 2)
	cafile := bundleOf(t, filepath.Join(dir, "bundle.pem"), cas)
	extra := newCA(t, "deleted cadata")
	p, err := Load(Sources{CAFile: cafile, CAData: pemOf(extra.cert)})
	if err != nil {
		t.Fatal(err)
	}
	p.CertPool()
	if err := os.Remove(cafile); err != nil {
		t.Fatal(err)
	}
	got := p.Entries()
	if len(got) != 1 || got[0].Source != "cadata" || !got[0].Cert.Equal(extra.cert) {
		t.Fatalf("entries after the cafile was deleted: %v", got)
	}
	if p.Len() != 1 || p.Empty() {
		t.Errorf("Len %d, Empty %v", p.Len(), p.Empty())
	}
	probs := p.Problems()
	if len(probs) != 1 || !errors.Is(probs[0], fs.ErrNotExist) {
		t.Fatalf("problems %v, want one wrapping fs.ErrNotExist", probs)
	}
	for _, want := range []string{cafile, "cannot be read again", "2 certificates", "still trusts"} {
		if !strings.Contains(probs[0].Error(), want) {
			t.Errorf("problem %q does not say %q", probs[0], want)
		}
	}
	// Still trusted as loaded.
	leaf := cas[1].issue(t, "d.test", false)
	if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "d.test"}); err != nil {
		t.Errorf("CA of the deleted file no longer trusted: %v", err)
	}
}

// TestListingConcurrentWithFirstUse lists while the x509 pool is built
// and the DER dropped (run with -race).
func TestListingConcurrentWithFirstUse(t *testing.T) {
	dir := t.TempDir()
	cafile := bundleOf(t, filepath.Join(dir, "bundle.pem"), testCAs(t, 3))
	p, err := Load(Sources{CAFile: cafile})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p.CertPoolFor(x509.ExtKeyUsageServerAuth)
		}()
		go func() {
			defer wg.Done()
			if n := len(p.Entries()); n != 3 {
				errs <- "listing during first use"
			}
			if p.Len() != 3 {
				errs <- "Len during first use"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestListingDERFileAfterDrop: a cafile of concatenated DER certificates
// (block 0) is listed the same after its DER is dropped.
func TestListingDERFileAfterDrop(t *testing.T) {
	cas := testCAs(t, 2)
	path := writeFile(t, filepath.Join(t.TempDir(), "cas.der"), append(bytes.Clone(cas[0].cert.Raw), cas[1].cert.Raw...))
	p, err := Load(Sources{CAFile: path})
	if err != nil {
		t.Fatal(err)
	}
	before := listingOf(p)
	p.CertPool()
	if droppedCount(p) != 2 {
		t.Fatalf("%d entries dropped their DER, want 2", droppedCount(p))
	}
	sameListing(t, "DER cafile", listingOf(p), before)
	if before[0].block != 0 || before[1].raw != string(cas[1].cert.Raw) {
		t.Errorf("DER cafile listed as %+v", before)
	}
}
