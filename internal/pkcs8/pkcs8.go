// Package pkcs8 decrypts encrypted PKCS#8 private keys (RFC 5958
// EncryptedPrivateKeyInfo) protected with PBES2 (RFC 8018): PBKDF2 with an
// HMAC-SHA-1 or SHA-2 PRF, and AES-128, AES-192 or AES-256 in CBC mode.
// This is what `openssl pkcs8 -topk8 -v2 aes-256-cbc` and `openssl genpkey
// -aes256` write. It uses the standard library only and imports nothing
// else of the module.
//
// The input is untrusted bytes (a key file): every field is checked, sizes
// are bounded (including the PBKDF2 iteration count, so that a hostile file
// cannot make the reader spin for minutes), and nothing panics.
package pkcs8

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
)

// MaxIterations bounds the PBKDF2 iteration count accepted: OpenSSL writes
// 2048, modern tools up to a few hundred thousand; ten million take
// seconds, which is the most a server start should wait for one key.
const MaxIterations = 10_000_000

// ErrWrongPassword is returned (wrapped) when the password does not
// decrypt the key: the padding or the decrypted structure is wrong, which
// for a well-formed file means the password is wrong.
var ErrWrongPassword = errors.New("wrong password (or a damaged file): the decrypted key is not valid")

var (
	oidPBES2    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidPBES1Pre = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5}     // pbeWith... (PKCS#5 v1.5)
	oidPKCS12   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1} // pbeWithSHAAnd... (PKCS#12)
	oidScrypt   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}

	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}

	oidAES128CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type pbkdf2Params struct {
	Salt           asn1.RawValue // CHOICE: specified OCTET STRING, or otherSource (unsupported)
	IterationCount int
	KeyLength      int                 `asn1:"optional"`
	PRF            algorithmIdentifier `asn1:"optional"`
}

// params is what decrypting needs, parsed and checked.
type params struct {
	salt   []byte
	iter   int
	prf    func() hash.Hash
	keyLen int
	iv     []byte
	data   []byte
}

// Decrypt decrypts the DER of an EncryptedPrivateKeyInfo (the bytes of an
// "ENCRYPTED PRIVATE KEY" PEM block) with password and returns the DER of
// the PKCS#8 PrivateKeyInfo inside, for x509.ParsePKCS8PrivateKey. A wrong
// password returns an error wrapping ErrWrongPassword; an unsupported
// scheme says which it is.
func Decrypt(der, password []byte) ([]byte, error) {
	return decrypt(der, password, MaxIterations)
}

func decrypt(der, password []byte, maxIter int) ([]byte, error) {
	p, err := parse(der, maxIter)
	if err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(p.prf, string(password), p.salt, p.iter, p.keyLen)
	if err != nil {
		return nil, fmt.Errorf("pkcs8: deriving the key: %w", err)
	}
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, fmt.Errorf("pkcs8: %w", err)
	}
	out := make([]byte, len(p.data))
	cipher.NewCBCDecrypter(block, p.iv).CryptBlocks(out, p.data)
	plain, ok := unpad(out)
	if !ok {
		clear(out)
		return nil, fmt.Errorf("pkcs8: %w", ErrWrongPassword)
	}
	// A right password gives a DER SEQUENCE that fills the plaintext.
	var raw asn1.RawValue
	if rest, err := asn1.Unmarshal(plain, &raw); err != nil || len(rest) != 0 || raw.Tag != asn1.TagSequence || !raw.IsCompound {
		clear(out)
		return nil, fmt.Errorf("pkcs8: %w", ErrWrongPassword)
	}
	return plain, nil
}

// unpad removes PKCS#7 padding in constant time with respect to the
// padding's contents.
func unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 || len(b)%aes.BlockSize != 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, false
	}
	good := 1
	for i := len(b) - n; i < len(b); i++ {
		good &= subtle.ConstantTimeByteEq(b[i], byte(n))
	}
	return b[:len(b)-n], good == 1
}

func parse(der []byte, maxIter int) (*params, error) {
	var info encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil {
		return nil, fmt.Errorf("pkcs8: not an EncryptedPrivateKeyInfo: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("pkcs8: %d bytes of trailing data after the EncryptedPrivateKeyInfo", len(rest))
	}
	alg := info.Algorithm.Algorithm
	switch {
	case alg.Equal(oidPBES2):
	case len(alg) == len(oidPBES1Pre)+1 && alg[:len(oidPBES1Pre)].Equal(oidPBES1Pre),
		len(alg) == len(oidPKCS12)+1 && alg[:len(oidPKCS12)].Equal(oidPKCS12):
		return nil, fmt.Errorf("pkcs8: the key is encrypted with PBES1 (%v: DES, RC2 or 3DES with MD5 or SHA-1), which is too weak to be read; re-encrypt it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.key -out new.key", alg)
	default:
		return nil, fmt.Errorf("pkcs8: unsupported encryption scheme %v; only PBES2 (%v) is read; re-encrypt it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.key -out new.key", alg, oidPBES2)
	}
	var p2 pbes2Params
	if err := unmarshalAll(info.Algorithm.Parameters.FullBytes, &p2); err != nil {
		return nil, fmt.Errorf("pkcs8: bad PBES2 parameters: %w", err)
	}
	p := &params{data: info.EncryptedData}

	// Key derivation: PBKDF2 only.
	kdf := p2.KeyDerivationFunc.Algorithm
	switch {
	case kdf.Equal(oidPBKDF2):
	case kdf.Equal(oidScrypt):
		return nil, errors.New("pkcs8: the key's password is derived with scrypt, which this reader (standard library only) does not support; re-encrypt it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.key -out new.key")
	default:
		return nil, fmt.Errorf("pkcs8: unsupported key derivation function %v; only PBKDF2 is read", kdf)
	}
	var kp pbkdf2Params
	if err := unmarshalAll(p2.KeyDerivationFunc.Parameters.FullBytes, &kp); err != nil {
		return nil, fmt.Errorf("pkcs8: bad PBKDF2 parameters: %w", err)
	}
	if kp.Salt.Class != asn1.ClassUniversal || kp.Salt.Tag != asn1.TagOctetString || kp.Salt.IsCompound {
		return nil, errors.New("pkcs8: PBKDF2 salt is not an OCTET STRING (the otherSource form is not supported)")
	}
	if len(kp.Salt.Bytes) == 0 || len(kp.Salt.Bytes) > 1024 {
		return nil, fmt.Errorf("pkcs8: PBKDF2 salt of %d bytes (want 1 to 1024)", len(kp.Salt.Bytes))
	}
	p.salt = kp.Salt.Bytes
	if kp.IterationCount < 1 || kp.IterationCount > maxIter {
		return nil, fmt.Errorf("pkcs8: PBKDF2 iteration count %d is outside 1 to %d", kp.IterationCount, maxIter)
	}
	p.iter = kp.IterationCount
	prf := kp.PRF.Algorithm
	switch {
	case len(prf) == 0 || prf.Equal(oidHMACSHA1): // DEFAULT hmacWithSHA1
		p.prf = sha1.New
	case prf.Equal(oidHMACSHA224):
		p.prf = sha256.New224
	case prf.Equal(oidHMACSHA256):
		p.prf = sha256.New
	case prf.Equal(oidHMACSHA384):
		p.prf = sha512.New384
	case prf.Equal(oidHMACSHA512):
		p.prf = sha512.New
	default:
		return nil, fmt.Errorf("pkcs8: unsupported PBKDF2 PRF %v; HMAC with SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 is read", prf)
	}

	if fb := kp.PRF.Parameters.FullBytes; len(fb) != 0 && !bytes.Equal(fb, asn1.NullBytes) {
		return nil, errors.New("pkcs8: PBKDF2 PRF parameters are not NULL")
	}

	// Encryption: AES-CBC with a 16-byte IV.
	enc := p2.EncryptionScheme.Algorithm
	switch {
	case enc.Equal(oidAES128CBC):
		p.keyLen = 16
	case enc.Equal(oidAES192CBC):
		p.keyLen = 24
	case enc.Equal(oidAES256CBC):
		p.keyLen = 32
	default:
		return nil, fmt.Errorf("pkcs8: unsupported cipher %v; AES-128-CBC, AES-192-CBC or AES-256-CBC is read (DES and 3DES are not); re-encrypt it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.key -out new.key", enc)
	}
	if kp.KeyLength != 0 && kp.KeyLength != p.keyLen {
		return nil, fmt.Errorf("pkcs8: PBKDF2 key length %d does not fit the cipher (%d bytes)", kp.KeyLength, p.keyLen)
	}
	if err := unmarshalAll(p2.EncryptionScheme.Parameters.FullBytes, &p.iv); err != nil {
		return nil, fmt.Errorf("pkcs8: bad AES-CBC parameters (the IV): %w", err)
	}
	if len(p.iv) != aes.BlockSize {
		return nil, fmt.Errorf("pkcs8: AES-CBC IV of %d bytes (want %d)", len(p.iv), aes.BlockSize)
	}
	if len(p.data) == 0 || len(p.data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("pkcs8: encrypted data of %d bytes is not a whole number of AES blocks", len(p.data))
	}
	return p, nil
}

// unmarshalAll parses der into v and refuses trailing bytes.
func unmarshalAll(der []byte, v any) error {
	if len(der) == 0 {
		return errors.New("missing")
	}
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%d bytes of trailing data", len(rest))
	}
	return nil
}
