package pkcs8

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const password = "correct-horse"

func readBlock(t testing.TB, name string) *pem.Block {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	return b
}

func TestDecryptOpenSSL(t *testing.T) {
	tests := []struct{ file, plain string }{
		{"rsa.pkcs8-aes256.pem", "rsa.plain.pem"},
		{"ec.pkcs8-aes256.pem", "ec.plain.pem"},
		{"ed25519.pkcs8-aes256.pem", "ed25519.plain.pem"},
		{"ec.aes128-hmacWithSHA1.pem", "ec.plain.pem"},
		{"ec.aes128-hmacWithSHA224.pem", "ec.plain.pem"},
		{"ec.aes128-hmacWithSHA256.pem", "ec.plain.pem"},
		{"ec.aes128-hmacWithSHA384.pem", "ec.plain.pem"},
		{"ec.aes128-hmacWithSHA512.pem", "ec.plain.pem"},
		{"ec.aes192.pem", "ec.plain.pem"},
		{"rsa.genpkey-direct.pem", ""},
		{"ec.genpkey-direct.pem", ""},
		{"ed25519.genpkey-direct.pem", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := readBlock(t, tt.file)
			if b.Type != "ENCRYPTED PRIVATE KEY" {
				t.Fatalf("type %q", b.Type)
			}
			der, err := Decrypt(b.Bytes, []byte(password))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
				t.Fatalf("decrypted key does not parse: %v", err)
			}
			if tt.plain != "" && !bytes.Equal(der, readBlock(t, tt.plain).Bytes) {
				t.Fatal("decrypted key differs from the clear one")
			}
			_, err = Decrypt(b.Bytes, []byte("Correct-horse"))
			if !errors.Is(err, ErrWrongPassword) || !strings.HasPrefix(err.Error(), "pkcs8: wrong password") {
				t.Fatalf("wrong password: %v", err)
			}
			if _, err := Decrypt(b.Bytes, nil); !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("empty password: %v", err)
			}
		})
	}
}

func TestDecryptRefused(t *testing.T) {
	tests := []struct{ file, want string }{
		{"ec.des3.pem", "unsupported cipher"},
		{"ec.scrypt.pem", "scrypt"},
		{"ec.pbes1.pem", "PBES1"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := Decrypt(readBlock(t, tt.file).Bytes, []byte(password))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "openssl pkcs8 -topk8 -v2 aes-256-cbc") {
				t.Fatalf("err = %v, want %q and how to convert", err, tt.want)
			}
		})
	}
}

func TestDecryptDamaged(t *testing.T) {
	good := readBlock(t, "ec.pkcs8-aes256.pem").Bytes
	p, err := parse(good, MaxIterations)
	if err != nil {
		t.Fatal(err)
	}
	// Everything before the IV (structure, OIDs, salt, iteration count)
	// must be refused when damaged. CBC has no integrity: a damaged IV
	// or ciphertext is caught by the padding or structure checks here,
	// or by the key parser and the key-matches-certificate check later.
	ivAt := bytes.Index(good, p.iv)
	for i := range ivAt {
		for _, delta := range []byte{1, 0x80} {
			bad := bytes.Clone(good)
			bad[i] ^= delta
			if _, err := decrypt(bad, []byte(password), 1<<16); err == nil {
				t.Fatalf("byte %d ^ %#x: accepted", i, delta)
			}
		}
	}
	for i := ivAt; i < len(good); i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x80
		decrypt(bad, []byte(password), 1<<16) // no panic
	}
	for n := range len(good) {
		if _, err := decrypt(good[:n], []byte(password), 1<<16); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
	if _, err := Decrypt(append(bytes.Clone(good), 0), []byte(password)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("trailing byte: %v", err)
	}
}

func TestIterationBound(t *testing.T) {
	good := readBlock(t, "ec.pkcs8-aes256.pem").Bytes
	if _, err := decrypt(good, []byte(password), 100); err == nil || !strings.Contains(err.Error(), "iteration count") {
		t.Fatalf("iteration bound: %v", err)
	}
}

func FuzzDecrypt(f *testing.F) {
	for _, name := range []string{"ec.pkcs8-aes256.pem", "ed25519.genpkey-direct.pem", "ec.aes128-hmacWithSHA1.pem", "ec.des3.pem", "ec.scrypt.pem", "ec.pbes1.pem"} {
		f.Add(readBlock(f, name).Bytes, []byte(password))
	}
	f.Fuzz(func(t *testing.T, der, pw []byte) {
		// A low iteration bound keeps each run fast; the parser is the
		// same.
		out, err := decrypt(der, pw, 4096)
		if err == nil && len(out) == 0 {
			t.Fatal("no error and no key")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "pkcs8: ") {
			t.Fatalf("error without prefix: %v", err)
		}
	})
}
