package capool

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func keyPEM(t testing.TB) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(sharedKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func crlPEM(t testing.TB, ca *testCA) []byte {
	der, err := x509.CreateRevocationList(nil, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour)}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

func blockPEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// wantSourceError checks that err is a *SourceError with the given source,
// path and block, whose message has the "capool: " prefix and contains
// each of the given substrings.
func wantSourceError(t *testing.T, err error, source, path string, block int, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s error", source)
	}
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SourceError", err, err)
	}
	if se.Source != source || se.Path != path || se.Block != block {
		t.Errorf("SourceError{Source: %q, Path: %q, Block: %d}, want {%q, %q, %d}; %v", se.Source, se.Path, se.Block, source, path, block, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "capool: ") {
		t.Errorf("error %q lacks the capool: prefix", msg)
	}
	for _, c := range contains {
		if !strings.Contains(msg, c) {
			t.Errorf("error %q does not contain %q", msg, c)
		}
	}
}

func TestLoadCAFile(t *testing.T) {
	ca1, ca2 := newCA(t, "CA One"), newCA(t, "CA Two")
	dir := t.TempDir()
	good := append([]byte("# Debian-style comment\nsome text before\n"), pemOf(ca1.cert)...)
	good = append(good, "\ninterleaved text\n"...)
	good = append(good, keyPEM(t)...)
	good = append(good, crlPEM(t, ca1)...)
	good = append(good, pemOf(ca2.cert)...)
	good = append(good, blockPEM("X509 CERTIFICATE", ca1.cert.Raw)...) // duplicate, old name

	tests := []struct {
		name      string
		data      []byte
		wantCerts int
		wantBlock []int // blocks of the entries
		errBlock  int
		errText   string
	}{
		{name: "bundle with text, key and CRL", data: good, wantCerts: 2, wantBlock: []int{1, 4}},
		{name: "CRLF line endings", data: bytes.ReplaceAll(pemOf(ca1.cert, ca2.cert), []byte("\n"), []byte("\r\n")), wantCerts: 2, wantBlock: []int{1, 2}},
		{name: "bad base64 in block 2", data: append(pemOf(ca1.cert), "-----BEGIN CERTIFICATE-----\n!!!notbase64!!!\n-----END CERTIFICATE-----\n"...), errBlock: 2, errText: "not valid PEM"},
		{name: "garbage DER in block 3", data: append(append(keyPEM(t), pemOf(ca1.cert)...), blockPEM("CERTIFICATE", []byte{0x30, 0x03, 1, 2, 3})...), errBlock: 3, errText: "x509:"},
		{name: "no END line", data: append(pemOf(ca1.cert), "-----BEGIN CERTIFICATE-----\nMIIB\n"...), errBlock: 2, errText: "no END line"},
		{name: "key only", data: keyPEM(t), errText: "no certificate found among 1 PEM blocks"},
		{name: "empty file", data: nil, errText: "no certificate found"},
		{name: "DER file", data: ca1.cert.Raw, wantCerts: 1, wantBlock: []int{0}},
		{name: "UTF-8 byte order mark", data: append([]byte("\xef\xbb\xbf"), pemOf(ca1.cert)...), wantCerts: 1, wantBlock: []int{1}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, strings.Repeat("f", i+1)+".pem"), tt.data)
			p, err := Load(Sources{CAFile: path})
			if tt.errText != "" {
				wantSourceError(t, err, "cafile", path, tt.errBlock, path, tt.errText)
				if p != nil {
					t.Errorf("pool %v returned with error", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Len() != tt.wantCerts {
				t.Fatalf("Len = %d, want %d", p.Len(), tt.wantCerts)
			}
			for i, e := range p.Entries() {
				if e.Source != "cafile" || e.Path != path || e.Block != tt.wantBlock[i] {
					t.Errorf("entry %d = %+v, want cafile %s block %d", i, e, path, tt.wantBlock[i])
				}
			}
		})
	}

	t.Run("duplicate reported", func(t *testing.T) {
		path := writeFile(t, filepath.Join(dir, "dup.pem"), good)
		p, err := Load(Sources{CAFile: path})
		if err != nil {
			t.Fatal(err)
		}
		probs := p.Problems()
		if len(probs) != 1 || !strings.Contains(probs[0].Error(), "duplicate") || !strings.Contains(probs[0].Error(), "block 5") {
			t.Errorf("Problems = %v, want one duplicate at block 5", probs)
		}
	})
}

func TestLoadPathErrors(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "ca.pem"), pemOf(newCA(t, "x").cert))
	missing := filepath.Join(dir, "missing")

	_, err := Load(Sources{CAFile: missing})
	wantSourceError(t, err, "cafile", missing, 0, missing, "no such file")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
	if strings.Count(err.Error(), missing) != 1 {
		t.Errorf("path printed more than once: %v", err)
	}
	_, err = Load(Sources{CAPath: missing})
	wantSourceError(t, err, "capath", missing, 0, "no such file")
	_, err = Load(Sources{CAFile: dir})
	wantSourceError(t, err, "cafile", dir, 0, "is a directory")
	_, err = Load(Sources{CAPath: file})
	wantSourceError(t, err, "capath", file, 0, "not a directory")

	_, err = Load(Sources{})
	if err == nil || err.Error() != "capool: no trust source given" {
		t.Errorf("Load(Sources{}) error = %v", err)
	}
	_, err = Load(Sources{CAData: []byte{}})
	if err == nil {
		t.Error("empty CAData counts as given")
	}

	t.Run("size cap", func(t *testing.T) {
		big := filepath.Join(dir, "big.pem")
		f, err := os.Create(big)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(maxSourceSize + 1); err != nil {
			t.Fatal(err)
		}
		f.Close()
		_, err = Load(Sources{CAFile: big})
		wantSourceError(t, err, "cafile", big, 0, "over the 64 MiB limit")
		_, err = Load(Sources{CAData: make([]byte, maxSourceSize+1)})
		wantSourceError(t, err, "cadata", "", 0, "over the 64 MiB limit")
	})

	t.Run("permission", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: permissions are not enforced")
		}
		locked := writeFile(t, filepath.Join(dir, "locked.pem"), pemOf(newCA(t, "l").cert))
		os.Chmod(locked, 0)
		_, err := Load(Sources{CAFile: locked})
		wantSourceError(t, err, "cafile", locked, 0, "permission denied")
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("errors.Is(%v, fs.ErrPermission) = false", err)
		}
	})
}

func TestLoadCAData(t *testing.T) {
	ca1, ca2 := newCA(t, "D1"), newCA(t, "D2")
	tests := []struct {
		name    string
		data    []byte
		want    int
		errText string
	}{
		{name: "PEM", data: pemOf(ca1.cert, ca2.cert), want: 2},
		{name: "DER one", data: ca1.cert.Raw, want: 1},
		{name: "DER concatenated", data: append(append([]byte(nil), ca1.cert.Raw...), ca2.cert.Raw...), want: 2},
		{name: "DER trailing junk", data: append(append([]byte(nil), ca1.cert.Raw...), 0xff, 0x01), errText: "DER certificate 2 at byte"},
		{name: "garbage", data: []byte("hello, world"), errText: "neither PEM"},
		{name: "PEM with only a CRL", data: crlPEM(t, ca1), errText: "no certificate found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs, perr := ParseCAData(tt.data)
			p, err := Load(Sources{CAData: tt.data})
			if tt.errText != "" {
				wantSourceError(t, err, "cadata", "", 0, tt.errText)
				if certs != nil || perr == nil {
					t.Errorf("ParseCAData = %d certs, %v; want nil and an error", len(certs), perr)
				}
				return
			}
			if err != nil || perr != nil {
				t.Fatal(err, perr)
			}
			if p.Len() != tt.want || len(certs) != tt.want {
				t.Errorf("Len = %d, ParseCAData = %d, want %d", p.Len(), len(certs), tt.want)
			}
			if got := p.Describe(); !strings.HasPrefix(got, "cadata (") {
				t.Errorf("Describe = %q", got)
			}
		})
	}
}

func TestTrustedCertificate(t *testing.T) {
	openssl := peer(t, "openssl")
	ca := newCA(t, "Trusted Aux CA")
	dir := t.TempDir()
	in := writeFile(t, filepath.Join(dir, "in.pem"), pemOf(ca.cert))
	trustOut := func(args ...string) []byte {
		out, err := exec.Command(openssl, append([]string{"x509", "-in", in, "-trustout"}, args...)...).Output()
		if err != nil {
			t.Fatalf("openssl: %v", err)
		}
		if !bytes.Contains(out, []byte("BEGIN TRUSTED CERTIFICATE")) {
			t.Fatalf("openssl did not write a TRUSTED CERTIFICATE: %s", out)
		}
		return out
	}
	leaf := ca.issue(t, "leaf.example", false) // serverAuth leaf

	t.Run("no aux settings beyond alias", func(t *testing.T) {
		certs, err := ParseCAData(trustOut("-setalias", "my alias"))
		if err != nil || len(certs) != 1 || !bytes.Equal(certs[0].Raw, ca.cert.Raw) {
			t.Fatalf("ParseCAData = %v, %v", certs, err)
		}
	})
	t.Run("trusted for serverAuth", func(t *testing.T) {
		p, err := Load(Sources{CAData: trustOut("-addtrust", "serverAuth")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "leaf.example"}); err != nil {
			t.Errorf("serverAuth leaf refused: %v", err)
		}
	})
	t.Run("trusted for clientAuth only", func(t *testing.T) {
		p, err := Load(Sources{CAData: trustOut("-addtrust", "clientAuth")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "leaf.example"}); err == nil {
			t.Error("serverAuth leaf accepted under a clientAuth-only root")
		}
	})
	t.Run("rejected for serverAuth", func(t *testing.T) {
		// Kept: OpenSSL refuses it only for the purpose it rejects.
		p, err := Load(Sources{CAData: trustOut("-addreject", "serverAuth")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "leaf.example", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
			t.Error("serverAuth chain accepted under a root rejected for serverAuth")
		}
		client := ca.issueEKU(t, "client", x509.ExtKeyUsageClientAuth)
		if _, err := p.Verify(client.cert, nil, x509.VerifyOptions{KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("clientAuth chain refused under a root rejected only for serverAuth: %v", err)
		}
		if _, err := leaf.cert.Verify(x509.VerifyOptions{DNSName: "leaf.example", Roots: p.CertPoolFor(x509.ExtKeyUsageServerAuth)}); err == nil {
			t.Error("CertPoolFor(ServerAuth) holds a root rejected for serverAuth")
		}
	})
	t.Run("trusted for serverAuth, rejected for clientAuth", func(t *testing.T) {
		p, err := Load(Sources{CAData: trustOut("-addtrust", "serverAuth", "-addreject", "clientAuth")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "leaf.example"}); err != nil {
			t.Errorf("serverAuth leaf refused: %v", err)
		}
		if _, err := leaf.cert.Verify(x509.VerifyOptions{DNSName: "leaf.example", Roots: p.CertPoolFor(x509.ExtKeyUsageServerAuth)}); err != nil {
			t.Errorf("CertPoolFor(ServerAuth): %v", err)
		}
	})
	t.Run("rejected for every purpose", func(t *testing.T) {
		data := append(trustOut("-addreject", "anyExtendedKeyUsage"), pemOf(newCA(t, "other").cert)...)
		p, err := Load(Sources{CAData: data})
		if err != nil {
			t.Fatal(err)
		}
		if p.Len() != 1 || len(p.Problems()) != 1 || !strings.Contains(p.Problems()[0].Error(), "rejected") {
			t.Errorf("Len = %d, Problems = %v; want the rejected root left out and reported", p.Len(), p.Problems())
		}
		if _, err := ParseCAData(trustOut("-addreject", "anyExtendedKeyUsage")); err == nil {
			t.Error("ParseCAData of only a rejected root succeeded")
		}
	})
}

// hashedDir writes each CA to dir as <name>.pem and links it with Rehash.
func hashedDir(t testing.TB, dir string, cas ...*testCA) {
	t.Helper()
	for i, ca := range cas {
		writeFile(t, filepath.Join(dir, "ca"+itoa(i)+".pem"), pemOf(ca.cert))
	}
	if err := Rehash(dir); err != nil {
		t.Fatal(err)
	}
}

// hashedOnlyDir returns a directory holding only <hash>.<n> links, to
// files kept in another directory.
func hashedOnlyDir(t testing.TB, cas ...*testCA) string {
	t.Helper()
	store, dir := t.TempDir(), t.TempDir()
	hashedDir(t, store, cas...)
	des, err := os.ReadDir(store)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if _, _, ok := hashedName(de.Name()); ok {
			target, err := os.Readlink(filepath.Join(store, de.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(store, target), filepath.Join(dir, de.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

func TestLoadCAPath(t *testing.T) {
	plainCA, hashCA, subCA := newCA(t, "Plain CA"), newCA(t, "Hashed CA"), newCA(t, "Sub Dir CA")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "plain.crt"), pemOf(plainCA.cert))
	writeFile(t, filepath.Join(dir, "der.cer"), newCA(t, "DER CA").cert.Raw)
	writeFile(t, filepath.Join(dir, "12345678.r0"), []byte("a CRL link: skipped"))
	writeFile(t, filepath.Join(dir, ".hidden.pem"), []byte("dot entries are skipped"))
	writeFile(t, filepath.Join(dir, "..data", "x.pem"), []byte("inside a dot directory"))
	writeFile(t, filepath.Join(dir, "sub", "sub.pem"), pemOf(subCA.cert)) // not recursed into
	writeFile(t, filepath.Join(dir, "README"), []byte("other names are ignored"))
	writeFile(t, filepath.Join(dir, "broken.pem"), append(pemOf(newCA(t, "Good In Broken").cert), blockPEM("CERTIFICATE", []byte{0x30, 0})...))
	writeFile(t, filepath.Join(dir, "key.pem"), keyPEM(t))
	if err := os.Symlink("loop.pem", filepath.Join(dir, "loop.pem")); err != nil {
		t.Fatal(err)
	}

	// No hashed name: a directory of plain files, read at load.
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	if p.Lazy() {
		t.Error("Lazy = true for a directory without hashed names")
	}
	var subjects []string
	for _, e := range p.Entries() {
		if e.Source != "capath" || filepath.Dir(e.Path) != dir {
			t.Errorf("entry %+v", e)
		}
		subjects = append(subjects, e.Cert.Subject.CommonName)
	}
	if got, want := strings.Join(subjects, ","), "Good In Broken,DER CA,Plain CA"; got != want {
		t.Errorf("eager certificates %s, want %s", got, want)
	}
	var probs []string
	for _, pr := range p.Problems() {
		probs = append(probs, pr.Error())
	}
	all := strings.Join(probs, "\n")
	for _, want := range []string{
		"capool: capath " + dir + "/: broken.pem: block 2: x509:",
		"capool: capath " + dir + "/: key.pem: no certificate found",
		"capool: capath " + dir + "/: loop.pem: too many levels of symbolic links",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("Problems lack %q; got:\n%s", want, all)
		}
	}
	if len(probs) != 3 {
		t.Errorf("%d problems, want 3:\n%s", len(probs), all)
	}
	if got := p.Describe(); got != "capath "+dir+" (3 certificates)" {
		t.Errorf("Describe = %q", got)
	}
	if _, err := p.Verify(plainCA.issue(t, "p.example", false).cert, nil, x509.VerifyOptions{DNSName: "p.example"}); err != nil {
		t.Errorf("leaf of the plain-file CA: %v", err)
	}
	if _, err := p.Verify(subCA.issue(t, "s.example", false).cert, nil, x509.VerifyOptions{DNSName: "s.example"}); err == nil {
		t.Error("leaf of a CA in a sub-directory verified: capath was recursed into")
	}
	if pool := p.CertPool(); pool == nil || p.CertPool() == pool {
		t.Error("CertPool is nil or not fresh")
	}

	// With one hashed name, the directory is OpenSSL's hashed layout: the
	// plain files are not sources of their own (they are what links point
	// at), and only what the hashed names hold is trusted.
	store := t.TempDir()
	hashedDir(t, store, hashCA)
	link := filepath.Join(dir, hex8(SubjectHash(hashCA.cert))+".0")
	if err := os.Symlink(filepath.Join(store, "ca0.pem"), link); err != nil {
		t.Fatal(err)
	}
	p, err = Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Lazy() {
		t.Error("Lazy = false for a directory with hashed names")
	}
	entries := p.Entries()
	if len(entries) != 1 || entries[0].Cert.Subject.CommonName != "Hashed CA" || entries[0].Path != filepath.Join(store, "ca0.pem") ||
		entries[0].Source != "capath" || strings.Join(entries[0].Links, ",") != filepath.Base(link) {
		t.Errorf("hashed entries = %+v", entries)
	}
	if probs := p.Problems(); len(probs) != 0 {
		t.Errorf("problems of a hashed directory: %v", probs)
	}
	if got := p.Describe(); got != "capath "+dir+" (looked up by hash)" {
		t.Errorf("Describe = %q", got)
	}
	if _, err := p.Verify(hashCA.issue(t, "h.example", false).cert, nil, x509.VerifyOptions{DNSName: "h.example"}); err != nil {
		t.Errorf("leaf of the hashed CA: %v", err)
	}
	if _, err := p.Verify(plainCA.issue(t, "p.example", false).cert, nil, x509.VerifyOptions{DNSName: "p.example"}); err == nil {
		t.Error("leaf of a CA in a plain file of a hashed directory verified (OpenSSL does not trust it)")
	}
}

func TestLoadCAPathEmpty(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "README"), []byte("nothing here"))
	writeFile(t, filepath.Join(dir, ".hidden.0"), []byte("x"))
	_, err := Load(Sources{CAPath: dir})
	wantSourceError(t, err, "capath", dir, 0, "no certificate found")

	writeFile(t, filepath.Join(dir, "bad.pem"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	_, err = Load(Sources{CAPath: dir})
	wantSourceError(t, err, "capath", dir, 0, "no usable certificate", "bad.pem: block 1")
}

func hex8(h uint32) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[h&0xf]
		h >>= 4
	}
	return string(b)
}

func TestLazyCAPath(t *testing.T) {
	root := newCA(t, "Lazy Root")
	leaf := root.issue(t, "lazy.example", false)
	dir := t.TempDir()
	// Garbage under a hashed name: Load does not read it; a listing
	// does, and reports it.
	writeFile(t, filepath.Join(dir, "00000000.0"), []byte("not read at load"))
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.list()) != 0 || p.Len() != 0 || p.Empty() {
		t.Fatalf("Load read hashed files: %d entries, Len %d, Empty %v", len(p.list()), p.Len(), p.Empty())
	}
	if probs := p.Problems(); len(probs) != 1 || !strings.Contains(probs[0].Error(), "00000000.0: neither PEM") {
		t.Errorf("Problems = %v", probs)
	}
	opts := x509.VerifyOptions{DNSName: "lazy.example"}
	if _, err := p.Verify(leaf.cert, nil, opts); err == nil {
		t.Fatal("verified before the CA was added")
	}
	// Add the root afterwards: found on the next call, no reload.
	hashedDir(t, dir, root)
	chains, err := p.Verify(leaf.cert, nil, opts)
	if err != nil {
		t.Fatalf("after adding the CA: %v", err)
	}
	if len(chains) != 1 || len(chains[0]) != 2 || !chains[0][1].Equal(root.cert) {
		t.Errorf("chains = %v, want leaf, root", chains)
	}
	// Replace the root file with another CA of the same name: the cache
	// notices the change.
	rootFile := filepath.Join(dir, "ca0.pem")
	impostor := newCAOwnKey(t, "Lazy Root")
	writeFile(t, rootFile, append(pemOf(impostor.cert), '\n', '\n'))
	if _, err := p.Verify(leaf.cert, nil, opts); err == nil {
		t.Error("still verified after the root file was replaced")
	}
	// A broken hashed file is reported with the verification error.
	writeFile(t, rootFile, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	_, err = p.Verify(leaf.cert, nil, opts)
	var uae x509.UnknownAuthorityError
	if !errors.As(err, &uae) || !strings.Contains(err.Error(), hex8(SubjectHash(root.cert))+".0: block 1") {
		t.Errorf("error = %v; want an UnknownAuthorityError naming the broken file", err)
	}
}

func TestLazyIssuerChain(t *testing.T) {
	root := newCA(t, "Chain Root")
	inter := root.issue(t, "Chain Intermediate", true)
	inter2 := inter.issue(t, "Chain Intermediate 2", true)
	leaf := inter2.issue(t, "chain.example", false)
	dir := t.TempDir()
	hashedDir(t, dir, root, inter, inter2, newCA(t, "Unrelated"))
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	found, probs := p.lookupIssuers(leaf.cert, nil)
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	var names []string
	for _, pc := range found {
		names = append(names, pc.cert.Subject.CommonName)
	}
	if got := strings.Join(names, ","); got != "Chain Intermediate 2,Chain Intermediate,Chain Root" {
		t.Errorf("issuers found: %s", got)
	}
	if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "chain.example"}); err != nil {
		t.Error(err)
	}
}

// TestOpenHashedDirReadsOneBatch checks that opening a hashed directory
// asks for one batch of names, whatever its size, and reads no file (the
// time it takes is BenchmarkLoadCAPathHashed's and bench/'s P4).
func TestOpenHashedDirReadsOneBatch(t *testing.T) {
	names := make([]string, 0, 10000)
	for i := range 5000 {
		names = append(names, fmt.Sprintf("ca%05d.pem", i), hex8(uint32(i)*2654435761)+".0")
	}
	calls := 0
	readdirnames := func(n int) ([]string, error) {
		calls++
		if len(names) == 0 {
			return nil, io.EOF
		}
		k := min(n, len(names))
		out := names[:k]
		names = names[k:]
		return out, nil
	}
	hashed, plain, err := probeNames(readdirnames)
	if err != nil || !hashed || plain != nil || calls != 1 {
		t.Errorf("probe = %v, %d plain, %v after %d reads; want hashed after 1 read", hashed, len(plain), err, calls)
	}

	// A directory of plain files only is read to the end.
	names = []string{"b.pem", "a.crt", "README", ".x.pem", "c.cer", "12345678.r0"}
	calls = 0
	hashed, plain, err = probeNames(readdirnames)
	if err != nil || hashed || strings.Join(plain, ",") != "a.crt,b.pem,c.cer" {
		t.Errorf("plain probe = %v, %v, %v", hashed, plain, err)
	}

	// On disk: 10,000 hashed names of empty files, none of them read.
	dir := t.TempDir()
	for i := range 10000 {
		f, err := os.Create(filepath.Join(dir, hex8(uint32(i)*2654435761)+".0"))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	p, err := Load(Sources{CAPath: dir})
	if err != nil || !p.Lazy() || len(p.list()) != 0 {
		t.Fatalf("Load = %v, %v", p, err)
	}
	p.dirs[0].mu.Lock()
	n := len(p.dirs[0].cache)
	p.dirs[0].mu.Unlock()
	if n != 0 {
		t.Errorf("%d hashed files read at load", n)
	}
}

func TestMergeAndDescribe(t *testing.T) {
	ca1, ca2 := newCA(t, "M1"), newCA(t, "M2")
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "ca.pem"), pemOf(ca1.cert))
	hdir := filepath.Join(dir, "hashed")
	os.Mkdir(hdir, 0o755)
	hashedDir(t, hdir, ca2)
	os.Remove(filepath.Join(hdir, "ca0.pem"))
	os.Rename(filepath.Join(dir, "x"), filepath.Join(dir, "y"))
	writeFile(t, filepath.Join(dir, "store", "ca2.pem"), pemOf(ca2.cert))
	os.Remove(filepath.Join(hdir, hex8(SubjectHash(ca2.cert))+".0"))
	os.Symlink(filepath.Join(dir, "store", "ca2.pem"), filepath.Join(hdir, hex8(SubjectHash(ca2.cert))+".0"))

	a, err := Load(Sources{CAFile: file, CAData: ca1.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 1 || len(a.Problems()) != 1 {
		t.Errorf("duplicate across sources: Len %d, Problems %v", a.Len(), a.Problems())
	}
	b, err := Load(Sources{CAPath: hdir, CAData: pemOf(ca1.cert, ca2.cert)})
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(a, nil, b, a)
	if m.Len() != 2 {
		t.Errorf("merged Len = %d, want 2", m.Len())
	}
	if !m.Lazy() || m.IncludesSystem() {
		t.Errorf("Lazy %v IncludesSystem %v", m.Lazy(), m.IncludesSystem())
	}
	want := "cafile " + file + ", cadata (1 certificate), capath " + hdir + " (looked up by hash), cadata (2 certificates)"
	if got := m.Describe(); got != want {
		t.Errorf("Describe = %q\nwant       %q", got, want)
	}
	if m.Entries()[0].Source != "cafile" {
		t.Errorf("first entry %+v, want the cafile one kept", m.Entries()[0])
	}
	if _, err := m.Verify(ca2.issue(t, "m.example", false).cert, nil, x509.VerifyOptions{DNSName: "m.example"}); err != nil {
		t.Error(err)
	}
	sys, err := System()
	if err != nil {
		t.Fatal(err)
	}
	ms := Merge(a, sys)
	if !ms.IncludesSystem() || !strings.HasSuffix(ms.Describe(), sys.Describe()) {
		t.Errorf("Merge with System: IncludesSystem %v, Describe %q", ms.IncludesSystem(), ms.Describe())
	}
	if _, err := ms.Verify(ca1.issue(t, "s.example", false).cert, nil, x509.VerifyOptions{DNSName: "s.example"}); err != nil {
		t.Errorf("merged with system: %v", err)
	}
	if Merge().Describe() != "no trust source" || Merge().Len() != 0 {
		t.Error("empty Merge")
	}
}

func TestNilAndZeroPool(t *testing.T) {
	for _, p := range []*Pool{nil, {}} {
		if p.CertPool() == nil || p.Len() != 0 || p.Certificates() == nil && p != nil || p.Lazy() || p.IncludesSystem() ||
			p.Describe() != "no trust source" || len(p.Entries()) != 0 || len(p.Problems()) != 0 {
			t.Errorf("%#v: unexpected values", p)
		}
		ca := newCA(t, "z")
		if _, err := p.Verify(ca.cert, nil, x509.VerifyOptions{}); err == nil {
			t.Error("empty pool verified a certificate")
		}
		if _, err := p.Verify(nil, nil, x509.VerifyOptions{}); err == nil || !strings.HasPrefix(err.Error(), "capool: ") {
			t.Errorf("Verify(nil) = %v", err)
		}
	}
}

func TestSourceErrorFormat(t *testing.T) {
	inner := errors.New("x509: malformed certificate")
	tests := []struct {
		err  *SourceError
		want string
	}{
		{&SourceError{Source: "capath", Path: "certs/5d30f3c5.0", Block: 2, Err: inner, inDir: true}, "capool: capath certs/: 5d30f3c5.0: block 2: x509: malformed certificate"},
		{&SourceError{Source: "cafile", Path: "/etc/ca.pem", Block: 3, Err: inner}, "capool: cafile /etc/ca.pem: block 3: x509: malformed certificate"},
		{&SourceError{Source: "cadata", Err: inner}, "capool: cadata: x509: malformed certificate"},
		{&SourceError{Source: "capath", Path: "/etc/ssl/certs", Err: fs.ErrNotExist}, "capool: capath /etc/ssl/certs: file does not exist"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) {
			t.Error("Unwrap does not reach Err")
		}
	}
}

func TestConcurrentVerify(t *testing.T) {
	dir := t.TempDir()
	var cas []*testCA
	for i := range 8 {
		cas = append(cas, newCA(t, "Concurrent "+itoa(i)))
	}
	hashedDir(t, dir, cas...)
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		ca := cas[i%len(cas)]
		leaf := ca.issue(t, "c.example", false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "c.example"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// PEM is read block after block, as OpenSSL does: a block is ended by the
// next marker line, which must be its own END line. A broken block does not
// swallow the next one, and many BEGIN lines without END cost linear time.
func TestPEMBlocksDoNotOverlap(t *testing.T) {
	ca1, ca2 := newCA(t, "Overlap One"), newCA(t, "Overlap Two")
	full := pemOf(ca1.cert)
	truncated := full[:bytes.Index(full, []byte("-----END"))] // no END line
	data := append(append([]byte{}, truncated...), pemOf(ca2.cert)...)
	_, err := Load(Sources{CAData: data})
	if err == nil || !strings.Contains(err.Error(), "block 1") || !strings.Contains(err.Error(), "no END line") {
		t.Fatalf("truncated block 1 before a good block 2: %v", err)
	}
	wrongEnd := bytes.Replace(full, []byte("-----END CERTIFICATE-----"), []byte("-----END CERTIFICATEX-----"), 1)
	_, err = Load(Sources{CAData: append(wrongEnd, pemOf(ca2.cert)...)})
	if err == nil || !strings.Contains(err.Error(), "block 1") {
		t.Fatalf("block 1 with a wrong END line: %v", err)
	}
	// 1 MB of BEGIN lines without END (12 s before, when each scanned to
	// the end of the input; now each stops at the next line).
	flood := bytes.Repeat([]byte("-----BEGIN FOO-----\n"), 50000)
	certs, err := ParseCAData(append(flood, pemOf(ca1.cert)...))
	if err != nil || len(certs) != 1 {
		t.Fatalf("flood of unterminated non-certificate blocks before a good one: %d certificates, %v", len(certs), err)
	}
}

// cadata is DER when it parses as DER, even if its bytes contain
// "-----BEGIN " (in a subject here), and a trailing newline after DER is
// accepted, as Python's cadata does.
func TestCADataDERDetection(t *testing.T) {
	ca := newCA(t, "-----BEGIN evil")
	for name, data := range map[string][]byte{
		"begin-in-subject": ca.cert.Raw,
		"trailing-newline": append(append([]byte{}, ca.cert.Raw...), '\n'),
	} {
		certs, err := ParseCAData(data)
		if err != nil || len(certs) != 1 {
			t.Errorf("%s: %d certificates, %v", name, len(certs), err)
		}
	}
}
