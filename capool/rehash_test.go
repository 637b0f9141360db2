package capool

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// links returns the hash-named symlinks of dir and their targets.
func links(t *testing.T, dir string) map[string]string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string)
	for _, de := range des {
		if _, _, ok := rehashLinkName(de.Name()); ok && de.Type()&os.ModeSymlink != 0 {
			target, err := os.Readlink(filepath.Join(dir, de.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[de.Name()] = target
		}
	}
	return out
}

// rehashFixture fills dir with what a CA directory may hold.
func rehashFixture(t *testing.T, dir string) {
	t.Helper()
	a := newCA(t, "Rehash A")
	b1 := newCAOwnKey(t, "Rehash Same Name")
	b2 := newCAOwnKey(t, "Rehash Same Name") // same subject hash: .0 and .1
	b3 := newCAOwnKey(t, "Rehash Same Name")
	writeFile(t, filepath.Join(dir, "a.pem"), pemOf(a.cert))
	writeFile(t, filepath.Join(dir, "a-copy.crt"), pemOf(a.cert)) // duplicate: one link
	writeFile(t, filepath.Join(dir, "b1.pem"), pemOf(b1.cert))
	writeFile(t, filepath.Join(dir, "b2.CER"), pemOf(b2.cert))
	writeFile(t, filepath.Join(dir, "b3.crt"), pemOf(b3.cert))
	writeFile(t, filepath.Join(dir, "bundle.pem"), pemOf(newCA(t, "In Bundle 1").cert, newCA(t, "In Bundle 2").cert)) // skipped
	writeFile(t, filepath.Join(dir, "der.cer"), newCA(t, "DER only").cert.Raw)                                        // PEM only: skipped
	writeFile(t, filepath.Join(dir, "ca.crl"), crlPEM(t, a))
	writeFile(t, filepath.Join(dir, "key.pem"), keyPEM(t))
	c := newCA(t, "Rehash With CRL")
	writeFile(t, filepath.Join(dir, "cert-and-crl.pem"), append(pemOf(c.cert), crlPEM(t, c)...)) // one X509_INFO: linked as the certificate
	d := newCA(t, "Rehash CRL First")
	writeFile(t, filepath.Join(dir, "crl-and-cert.pem"), append(crlPEM(t, a), pemOf(d.cert)...))
	writeFile(t, filepath.Join(dir, "two-crls.crl"), append(crlPEM(t, a), crlPEM(t, c)...)) // skipped
	writeFile(t, filepath.Join(dir, "cert-and-key.pem"), append(pemOf(newCA(t, "With Key").cert), keyPEM(t)...))
	writeFile(t, filepath.Join(dir, "notes.txt"), pemOf(newCA(t, "Wrong Extension").cert))
	writeFile(t, filepath.Join(dir, "trusted.pem"), pem.EncodeToMemory(&pem.Block{Type: "TRUSTED CERTIFICATE", Bytes: newCAName(t, pkix.Name{CommonName: "Trusted"}, nil).cert.Raw}))
	writeFile(t, filepath.Join(dir, "utf8.pem"), pemOf(newCAName(t, pkix.Name{CommonName: "  Ünïcode   ROOT "}, nil).cert))
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		data, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, de.Name()), data)
	}
}

func opensslRehash(t *testing.T, dir string) {
	t.Helper()
	openssl := peer(t, "openssl")
	// openssl rehash warns about skipped files on stderr and may exit
	// non-zero for them; only the links matter here.
	exec.Command(openssl, "rehash", dir).Run()
}

func TestRehashMatchesOpenSSL(t *testing.T) {
	ours, theirs := t.TempDir(), t.TempDir()
	rehashFixture(t, ours)
	copyDir(t, ours, theirs)

	opensslRehash(t, theirs)
	if err := Rehash(ours); err != nil {
		t.Fatal(err)
	}
	want, got := links(t, theirs), links(t, ours)
	if len(want) == 0 {
		t.Fatal("openssl rehash made no links")
	}
	t.Logf("openssl rehash: %v", want)
	if !maps.Equal(got, want) {
		t.Errorf("Rehash links differ from openssl rehash:\n got  %v\n want %v", got, want)
	}
	var collisions int
	for name := range got {
		if strings.HasSuffix(name, ".2") {
			collisions++
		}
	}
	if collisions != 1 {
		t.Errorf("want one <hash>.2 link for three CAs of the same name, links %v", got)
	}

	// Running again changes nothing, for either tool.
	if err := Rehash(ours); err != nil {
		t.Fatal(err)
	}
	opensslRehash(t, theirs)
	if got, want := links(t, ours), links(t, theirs); !maps.Equal(got, want) {
		t.Errorf("second run:\n got  %v\n want %v", got, want)
	}

	// Removing a file: both keep the other names, ours removes the stale
	// link and fills the gap the way OpenSSL numbers new links.
	for _, d := range []string{ours, theirs} {
		os.Remove(filepath.Join(d, "b3.crt"))
		os.Remove(filepath.Join(d, "a.pem"))
	}
	if err := Rehash(ours); err != nil {
		t.Fatal(err)
	}
	opensslRehash(t, theirs)
	if got, want := links(t, ours), links(t, theirs); !maps.Equal(got, want) {
		t.Errorf("after removals:\n got  %v\n want %v", got, want)
	}
	for name, target := range links(t, ours) {
		if _, err := os.Stat(filepath.Join(ours, target)); err != nil {
			t.Errorf("stale link %s -> %s left", name, target)
		}
	}

	// A directory made by Rehash loads and verifies.
	p, err := Load(Sources{CAPath: ours})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Lazy() {
		t.Error("rehashed directory is not lazy")
	}
}

func TestRehashStaleAndForeign(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "Stale Test")
	writeFile(t, filepath.Join(dir, "ca.pem"), pemOf(ca.cert))
	h := hex8(SubjectHash(ca.cert))
	os.Symlink("gone.pem", filepath.Join(dir, "deadbeef.0"))         // stale, ours
	os.Symlink("ca.pem", filepath.Join(dir, h+".5"))                 // right file, wrong number
	writeFile(t, filepath.Join(dir, "cafebabe.0"), []byte("a file")) // a regular file: never removed
	if err := Rehash(dir); err != nil {
		t.Fatal(err)
	}
	got := links(t, dir)
	if len(got) != 1 || got[h+".0"] != "ca.pem" {
		t.Errorf("links = %v, want only %s.0 -> ca.pem", got, h)
	}
	if _, err := os.Stat(filepath.Join(dir, "cafebabe.0")); err != nil {
		t.Error("regular file with a hashed name was removed")
	}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.Contains(de.Name(), ".tmp-") {
			t.Errorf("temporary link %s left", de.Name())
		}
	}
	if err := Rehash(filepath.Join(dir, "ca.pem")); err == nil {
		t.Error("Rehash of a file succeeded")
	}
	if err := Rehash(filepath.Join(dir, "missing")); err == nil || !strings.HasPrefix(err.Error(), "capool: ") {
		t.Errorf("Rehash of a missing dir: %v", err)
	}
}

// A regular file with a hash name is never replaced by a link.
func TestRehashKeepsRegularFiles(t *testing.T) {
	dir := t.TempDir()
	inter, root := newCA(t, "Regular Inter"), newCA(t, "Regular Root")
	_ = inter
	name := fmt.Sprintf("%08x.0", SubjectHash(root.cert))
	writeFile(t, filepath.Join(dir, name), pemOf(inter.cert)) // a misnamed regular file
	writeFile(t, filepath.Join(dir, "root.pem"), pemOf(root.cert))
	err := Rehash(dir)
	if err == nil || !strings.Contains(err.Error(), "regular file") {
		t.Fatalf("Rehash: %v", err)
	}
	b, rerr := os.ReadFile(filepath.Join(dir, name))
	if rerr != nil || !bytes.Equal(b, pemOf(inter.cert)) {
		t.Fatalf("regular file %s replaced or lost: %v", name, rerr)
	}
	if fi, _ := os.Lstat(filepath.Join(dir, name)); fi.Mode()&fs.ModeSymlink != 0 {
		t.Fatal("replaced by a link")
	}
}
