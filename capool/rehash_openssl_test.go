package capool

import (
	"crypto/x509"
	"encoding/pem"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// opensslCRLs writes, with `openssl ca -gencrl`, a version 1 CRL (the
// default without a crlnumber file) and a version 2 CRL of ca into dir.
func opensslCRLs(t *testing.T, openssl string, ca *testCA, dir string) {
	t.Helper()
	work := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(work, "ca.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	writeFile(t, filepath.Join(work, "ca.pem"), pemOf(ca.cert))
	writeFile(t, filepath.Join(work, "index.txt"), nil)
	conf := "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ndefault_md=sha256\ndefault_crl_days=3\n"
	for _, v := range []struct{ name, extra string }{{"v1.crl", ""}, {"v2.crl", "crlnumber=crlnumber\n"}} {
		writeFile(t, filepath.Join(work, "crlnumber"), []byte("01\n"))
		writeFile(t, filepath.Join(work, "ca.cnf"), []byte(conf+v.extra))
		cmd := exec.Command(openssl, "ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem", "-out", filepath.Join(dir, v.name))
		cmd.Dir = work
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl ca -gencrl: %v\n%s", err, out)
		}
	}
	out, err := exec.Command(openssl, "crl", "-in", filepath.Join(dir, "v1.crl"), "-noout", "-text").Output()
	if err != nil || !strings.Contains(string(out), "Version 1 (0x0)") {
		t.Fatalf("v1.crl is not a version 1 CRL: %v\n%s", err, out)
	}
}

// rehashWarnings runs `openssl rehash` on dir and returns its warnings in
// the words RehashReport uses.
func rehashWarnings(t *testing.T, openssl, dir string) []string {
	t.Helper()
	out, _ := exec.Command(openssl, "rehash", dir).CombinedOutput()
	var warns []string
	for _, line := range strings.Split(string(out), "\n") {
		w, ok := strings.CutPrefix(line, "rehash: warning: ")
		if !ok {
			continue
		}
		// OpenSSL 3.0 writes "skipping x.cer,it does not ...".
		warns = append(warns, strings.Replace(w, ",it does", ", it does", 1))
	}
	slices.Sort(warns)
	return warns
}

// TestRehashCRLsAndWarnings checks, against `openssl rehash`, the links
// made for version 1 and 2 CRLs and the warnings for skipped files.
func TestRehashCRLsAndWarnings(t *testing.T) {
	openssl := peer(t, "openssl")
	ours, theirs := t.TempDir(), t.TempDir()
	ca := newCA(t, "Rehash CRL Versions")
	writeFile(t, filepath.Join(ours, "ca.pem"), pemOf(ca.cert))
	opensslCRLs(t, openssl, ca, ours)
	writeFile(t, filepath.Join(ours, "go.crl"), crlPEM(t, newCA(t, "Go CRL Issuer")))
	writeFile(t, filepath.Join(ours, "copy.pem"), pemOf(ca.cert))             // duplicate certificate
	writeFile(t, filepath.Join(ours, "der.cer"), ca.cert.Raw)                 // DER: skipped
	writeFile(t, filepath.Join(ours, "junk.crt"), []byte("not PEM\n"))        // skipped
	writeFile(t, filepath.Join(ours, "two.pem"), pemOf(ca.cert, ca.cert))     // two certificates
	writeFile(t, filepath.Join(ours, "notes.txt"), pemOf(newCA(t, "x").cert)) // other extension: silent
	copyDir(t, ours, theirs)
	for _, d := range []string{ours, theirs} {
		os.Mkdir(filepath.Join(d, "sub.pem"), 0o755) // a directory with a certificate's name
	}
	v1, _ := os.ReadFile(filepath.Join(ours, "v1.crl"))
	writeFile(t, filepath.Join(ours, "zz-v1-copy.crl"), v1) // duplicate CRL
	writeFile(t, filepath.Join(theirs, "zz-v1-copy.crl"), v1)

	want := rehashWarnings(t, openssl, theirs)
	rep, err := RehashDir(ours)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(rep.Warnings))
	if !slices.Equal(got, want) {
		t.Errorf("warnings differ from openssl rehash:\n got  %q\n want %q", got, want)
	}
	gotLinks, wantLinks := links(t, ours), links(t, theirs)
	if !maps.Equal(gotLinks, wantLinks) {
		t.Errorf("links differ from openssl rehash:\n got  %v\n want %v", gotLinks, wantLinks)
	}
	h := hex8(SubjectHash(ca.cert))
	if gotLinks[h+".r0"] != "v1.crl" || gotLinks[h+".r1"] != "v2.crl" {
		t.Errorf("CRL links %v; want %s.r0 -> v1.crl, %s.r1 -> v2.crl", gotLinks, h, h)
	}
	var newLinks int
	for _, l := range rep.Links {
		if l.Change == "new" {
			newLinks++
		}
	}
	if newLinks != len(gotLinks) {
		t.Errorf("report: %d new links, %d made: %+v", newLinks, len(gotLinks), rep.Links)
	}
}

// TestRehashStaysInTheOpenedDirectory (issue 11 item 13): the directory is
// renamed and another put at its path while Rehash runs; the links are made
// in the directory Rehash opened, and nothing in the other.
func TestRehashStaysInTheOpenedDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "ca")
	ca := newCA(t, "Rehash Root Swap")
	writeFile(t, filepath.Join(dir, "ca.pem"), pemOf(ca.cert))
	moved := filepath.Join(parent, "ca.moved")
	testRehashScanned = func() {
		if err := os.Rename(dir, moved); err != nil {
			t.Error(err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Error(err)
		}
	}
	defer func() { testRehashScanned = nil }()
	if err := Rehash(dir); err != nil {
		t.Fatal(err)
	}
	if got := links(t, moved); got[hex8(SubjectHash(ca.cert))+".0"] != "ca.pem" {
		t.Errorf("links in the opened directory: %v", got)
	}
	if des, _ := os.ReadDir(dir); len(des) != 0 {
		t.Errorf("Rehash wrote into the directory swapped in: %v", des)
	}
}

// TestRehashLinksOutOfTheDirectory: Debian's layout, where the .pem files
// are symbolic links into another tree, is read through the links.
func TestRehashLinksOutOfTheDirectory(t *testing.T) {
	store, dir := t.TempDir(), t.TempDir()
	ca := newCA(t, "Rehash Outside")
	writeFile(t, filepath.Join(store, "ca.crt"), pemOf(ca.cert))
	if err := os.Symlink(filepath.Join(store, "ca.crt"), filepath.Join(dir, "ca.pem")); err != nil {
		t.Skip(err)
	}
	if err := Rehash(dir); err != nil {
		t.Fatal(err)
	}
	if got := links(t, dir); got[hex8(SubjectHash(ca.cert))+".0"] != "ca.pem" {
		t.Errorf("links = %v", got)
	}
}
