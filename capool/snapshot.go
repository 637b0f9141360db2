package capool

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// maxSnapshotHashes bounds the distinct hashes one snapshot reads from a
// hashed capath directory (a system store has a few hundred).
const maxSnapshotHashes = 100000

// snapshotTTL is how long the CAs read from a directory are reused while
// the directory's modification time stays the same: adding, removing or
// renaming a name changes it at once; a file rewritten in place is seen
// within snapshotTTL. A CA deleted or replaced is refused at once anyway,
// by the check each snapshot entry carries.
const snapshotTTL = time.Second

// snapshotCache holds the CAs last read from a hashed directory.
type snapshotCache struct {
	mu    sync.Mutex
	ok    bool
	at    time.Time // when read
	mtime time.Time // the directory's modification time then
	certs []parsedCert
	// gen counts the readings that found a different set of CAs than the
	// one before: a pool CertPoolNow built is kept while it stays put.
	gen uint64
	// seen holds the DER of every CA a reading found, for Removed
	// (bounded: a directory that churns through more CAs than that
	// forgets the oldest).
	seen map[string]bool
}

// maxSeen bounds snapshotCache.seen.
const maxSeen = 100000

// current returns the CAs the directory holds, read again when the
// directory changed or the last reading is older than snapshotTTL, and the
// generation of that set.
func (d *hashDir) current() ([]parsedCert, uint64) {
	fi, err := os.Stat(d.path)
	now := time.Now()
	c := &d.snap
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && c.ok && fi.ModTime().Equal(c.mtime) && now.Sub(c.at) < snapshotTTL && now.After(c.at) {
		return c.certs, c.gen
	}
	var certs []parsedCert
	for _, h := range d.hashes() {
		found, _ := d.lookup(h)
		certs = append(certs, found...)
	}
	if c.seen == nil || len(c.seen) > maxSeen {
		c.seen = make(map[string]bool)
	}
	for _, pc := range certs {
		c.seen[string(pc.cert.Raw)] = true
	}
	if !c.ok || !sameCerts(c.certs, certs) {
		c.gen++
	}
	c.ok, c.at, c.certs = err == nil, now, certs
	if err == nil {
		c.mtime = fi.ModTime()
	}
	return certs, c.gen
}

// sameCerts reports whether two readings found the same CAs, in order.
func sameCerts(a, b []parsedCert) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].cert != b[i].cert && !bytes.Equal(a[i].cert.Raw, b[i].cert.Raw) {
			return false
		}
		if a[i].trust != b[i].trust {
			return false
		}
	}
	return true
}

// snapPool is a pool CertPoolNow built and the generations of the
// directories' readings it was built from.
type snapPool struct {
	gens []uint64
	pool *x509.CertPool
}

// CertPoolNow is [Pool.CertPoolFor] with, in addition, the CAs that the
// pool's hashed capath directories hold now: each <hash> named in the
// directory is looked up as [Pool.Verify] looks it up (<hash>.0, <hash>.1,
// ... up to the first missing number; files cached by path, size and
// modification time; the reading reused for up to a second while the
// directory's modification time stays the same). Each CA read from a directory is added with a check
// that runs when a chain ending at it is verified: the CA must still be in
// the directory then, so that a CA deleted from it (file or link) is
// refused from the next verification on, also by a pool taken earlier.
// (crypto/x509 runs that check only on chains it builds: a certificate
// that is itself in the pool, such as a self-signed server certificate
// trusted as it is, is accepted without it; see [Pool.Removed].)
//
// It lets crypto/tls verify with a hashed capath as with any other trust
// source (tls.Config.RootCAs or ClientCAs), with crypto/tls's own host name
// check, alerts and resumption checks. A CA added to the directory later is
// in the pools taken after it was added. For a pool that is not
// [Pool.Lazy], it is CertPoolFor. Files that cannot be read are left out;
// [Pool.Verify] reports them.
//
// The pool is built once per change of the directories: while their
// readings find the same CAs, every call returns the same *x509.CertPool,
// shared by its callers (a server calls CertPoolNow at each handshake), so
// it must not be modified; Clone it to add to it. Building it reads and
// parses every CA of the directory (about 0.3 s for 10,000 CAs): where a
// connection's name is known, [Pool.Verify] is flat instead.
func (p *Pool) CertPoolNow(usage x509.ExtKeyUsage) *x509.CertPool {
	if !p.Lazy() {
		return p.CertPoolFor(usage)
	}
	type reading struct {
		d     *hashDir
		certs []parsedCert
	}
	readings := make([]reading, len(p.dirs))
	gens := make([]uint64, len(p.dirs))
	for i, d := range p.dirs {
		certs, gen := d.current()
		readings[i], gens[i] = reading{d, certs}, gen
	}
	x := p.pools()
	x.snapMu.Lock()
	defer x.snapMu.Unlock()
	if sp, ok := x.snap[usage]; ok && slices.Equal(sp.gens, gens) {
		return sp.pool // nothing changed: the pool built last time
	}
	roots := p.basePoolFor(usage).Clone()
	for _, r := range readings {
		for _, pc := range r.certs {
			own := pc.constraint
			if pc.trust != nil && slices.Contains(tlsPurposes, usage) {
				// As Verify: the trust settings for this purpose, exactly.
				if !pc.trust.allows(usage) {
					continue
				}
				own = nil
			}
			roots.AddCertWithConstraint(pc.cert, r.d.stillHas(pc.cert, own))
		}
	}
	if x.snap == nil {
		x.snap = make(map[x509.ExtKeyUsage]snapPool)
	}
	x.snap[usage] = snapPool{gens: gens, pool: roots}
	return roots
}

// InCapath reports whether cert is found now in one of the pool's hashed
// capath directories, under its subject hash (<hash>.0, <hash>.1, ...), as
// [Pool.Verify] would find it: one stat per file looked at, files read
// only when they changed. A TLS session resumed, or a chain verified
// earlier, can be checked with it against the directory as it is now.
func (p *Pool) InCapath(cert *x509.Certificate) bool {
	if !p.Lazy() || cert == nil {
		return false
	}
	h := SubjectHash(cert)
	for _, d := range p.dirs {
		certs, _ := d.lookup(h)
		for _, pc := range certs {
			if bytes.Equal(pc.cert.Raw, cert.Raw) {
				return true
			}
		}
	}
	return false
}

// hashes lists the distinct hashes of the certificate names (not CRLs) in
// the directory now, in the order read.
func (d *hashDir) hashes() []uint32 {
	f, err := os.Open(d.path)
	if err != nil {
		return nil
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	seen := make(map[uint32]bool)
	var out []uint32
	for _, name := range names {
		h, crl, ok := hashedName(name)
		if !ok || crl || seen[h] || len(out) >= maxSnapshotHashes {
			continue
		}
		seen[h] = true
		out = append(out, h)
	}
	return out
}

// stillHas returns the constraint under which a CA read from d is added to
// a snapshot: the CA must still be found in d, under its subject hash, and
// then pass its own constraint, if any.
func (d *hashDir) stillHas(cert *x509.Certificate, own func([]*x509.Certificate) error) func([]*x509.Certificate) error {
	return func(chain []*x509.Certificate) error {
		certs, _ := d.lookup(SubjectHash(cert))
		found := false
		for _, pc := range certs {
			if bytes.Equal(pc.cert.Raw, cert.Raw) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("capool: CA %q is no longer in capath %s", cert.Subject.String(), d.path)
		}
		if own != nil {
			return own(chain)
		}
		return nil
	}
}

// Removed reports whether cert was read from one of the pool's hashed
// capath directories by [Pool.CertPoolNow] and is no longer found there
// under its subject hash. A resumed TLS session carries
// the chain verified when it began; Removed tells whether the CA that
// anchored it has been deleted since, which the pools' own checks do not
// see on resumption.
func (p *Pool) Removed(cert *x509.Certificate) bool {
	if !p.Lazy() || cert == nil {
		return false
	}
	seen := false
	for _, d := range p.dirs {
		if d.hasRead(cert) {
			seen = true
			break
		}
	}
	if !seen {
		return false
	}
	h := SubjectHash(cert)
	for _, d := range p.dirs {
		certs, _ := d.lookup(h)
		for _, pc := range certs {
			if bytes.Equal(pc.cert.Raw, cert.Raw) {
				return false
			}
		}
	}
	return true
}

// hasRead reports whether a reading of d for CertPoolNow found cert.
func (d *hashDir) hasRead(cert *x509.Certificate) bool {
	d.snap.mu.Lock()
	defer d.snap.mu.Unlock()
	return d.snap.seen[string(cert.Raw)]
}
