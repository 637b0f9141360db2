package internal

import (
	"github.com/tlsdefault/tlsdefault/internal/safetext"

	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/tlsdefault/tlsdefault/internal/pkcs8"
)

// x509KeyPair is tls.X509KeyPair for the files of WithKeyPairFiles, with
// encrypted PKCS#8 keys decrypted by the password of WithKeyPassword. The
// password is asked for each time an encrypted key is read and is not
// kept; no error contains it.
func x509KeyPair(certPEM, keyPEM []byte, keyFile string, password func() ([]byte, error)) (tls.Certificate, error) {
	block := firstKeyBlock(keyPEM)
	switch {
	case block == nil:
		// tls.X509KeyPair says what it found instead.
	case block.Headers["Proc-Type"] != "" || block.Headers["DEK-Info"] != "":
		return tls.Certificate{}, fmt.Errorf("%s: the key is encrypted the old OpenSSL way (Proc-Type and DEK-Info headers: MD5 key derivation, no iteration count), which is not read; convert it to encrypted PKCS#8 with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in %s -out new.key (then use WithKeyPassword), or store it unencrypted with tight file permissions", keyFile, keyFile)
	case block.Type == "ENCRYPTED PRIVATE KEY":
		if password == nil {
			return tls.Certificate{}, fmt.Errorf("%s: the key is encrypted (ENCRYPTED PRIVATE KEY); give its password with WithKeyPassword", keyFile)
		}
		pw, err := callPassword(password)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("%s: WithKeyPassword: the password function failed: %w", keyFile, err)
		}
		der, err := pkcs8.Decrypt(block.Bytes, pw)
		if err != nil {
			if errors.Is(err, pkcs8.ErrWrongPassword) {
				return tls.Certificate{}, fmt.Errorf("%s: the password of WithKeyPassword does not decrypt the key: %w", keyFile, err)
			}
			return tls.Certificate{}, fmt.Errorf("%s: %w", keyFile, err)
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		clear(der)
		defer clear(keyPEM)
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// firstKeyBlock returns the first PEM block of data that holds a private
// key, or nil.
func firstKeyBlock(data []byte) *pem.Block {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil
		}
		if b.Type == "PRIVATE KEY" || b.Type == "ENCRYPTED PRIVATE KEY" || strings.HasSuffix(b.Type, " PRIVATE KEY") {
			return b
		}
	}
}

// callPassword calls the password function of WithKeyPassword, turning a
// panic into an error: a callback that panics on a reload must not take the
// server down (the last good pair keeps serving).
func callPassword(password func() ([]byte, error)) (pw []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			pw, err = nil, fmt.Errorf("it panicked: %s", safetext.Escape(fmt.Sprint(r), 256))
		}
	}()
	return password()
}
