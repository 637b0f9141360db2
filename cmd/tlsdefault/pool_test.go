package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPoolSelfSignedSHA1: a self-signed root signed with SHA-1 (as some
// roots of the system store are) is self_signed in the listing: its
// signature verifies, whatever crypto/x509 thinks of SHA-1 for chains. A
// root whose signature does not verify is not.
func TestPoolSelfSignedSHA1(t *testing.T) {
	openssl := findOpenSSL(t)
	if openssl == "" {
		t.Skip("openssl not found")
	}
	dir := t.TempDir()
	ca := filepath.Join(dir, "sha1.pem")
	out, err := exec.Command(openssl, "req", "-x509", "-newkey", "rsa:2048", "-sha1", "-nodes", "-days", "2",
		"-subj", "/CN=tlsdefault SHA-1 root", "-keyout", filepath.Join(dir, "k.pem"), "-out", ca,
		"-addext", "basicConstraints=critical,CA:TRUE").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	r := runBin(t, "pool", "--json", "--cafile", ca)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	var got poolListing
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Count != 1 {
		t.Fatalf("%v\n%s", err, r)
	}
	if c := got.Certificates[0]; !c.SelfSigned || !strings.Contains(c.Subject, "SHA-1 root") {
		t.Errorf("SHA-1 self-signed root listed as %+v", c)
	}
	// A broken signature under the same name: not self-signed.
	data, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !selfSigned(cert) {
		t.Fatal("selfSigned disagrees with the listing")
	}
	forged := *cert
	forged.Signature = append([]byte(nil), forged.Signature...)
	forged.Signature[len(forged.Signature)-1] ^= 1
	if selfSigned(&forged) {
		t.Error("a root with a broken signature is self-signed")
	}
}
