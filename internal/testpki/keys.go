package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"
)

// keyRole says which cached RSA key a certificate gets, so that no two
// certificates in one chain share a key: 0 is roots, d > 0 intermediates at
// depth d, and leafRole leaves.
const leafRole = -1

type rsaCacheKey struct {
	bits, role int
}

type rsaCacheEntry struct {
	mu  sync.Mutex
	key *rsa.PrivateKey
}

// rsaKeys caches RSA keys, because generating them is slow (seconds for
// 4096 bits, worse under -race). Failed generation is not cached, so a test
// that sets GODEBUG=rsa1024min=0 can still get a small key later.
var rsaKeys sync.Map // rsaCacheKey -> *rsaCacheEntry

func cachedRSAKey(bits, role int) (*rsa.PrivateKey, error) {
	v, _ := rsaKeys.LoadOrStore(rsaCacheKey{bits, role}, new(rsaCacheEntry))
	e := v.(*rsaCacheEntry)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.key == nil {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			if bits < 1024 {
				return nil, fmt.Errorf("RSA-%d: %w (run the test with GODEBUG=rsa1024min=0)", bits, err)
			}
			return nil, fmt.Errorf("RSA-%d: %w", bits, err)
		}
		e.key = k
	}
	return e.key, nil
}

// newKey returns the key o asks for: a cached RSA key, or a fresh ECDSA one.
func newKey(o *options, role int) (crypto.Signer, error) {
	if o.rsaBits != 0 {
		if o.rsaBits < 0 {
			return nil, fmt.Errorf("RSABits(%d): size must be positive", o.rsaBits)
		}
		return cachedRSAKey(o.rsaBits, role)
	}
	c := o.curve
	if c == nil {
		c = elliptic.P256()
	}
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ECDSA %s: %w", c.Params().Name, err)
	}
	return k, nil
}
