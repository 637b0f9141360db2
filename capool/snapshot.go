package capool

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/fsx"
)

// maxSnapshotHashes bounds the distinct hashes one snapshot reads from a
// hashed capath directory (a system store has a few hundred).
const maxSnapshotHashes = 100000

// CertPoolNow is [Pool.CertPoolFor] with, in addition, the CAs that the
// pool's hashed capath directories hold now: each <hash> named in the
// directory is looked up as [Pool.Verify] looks it up (<hash>.0, <hash>.1,
// ... up to the first missing number). Each CA read from a directory is
// added with a check that runs when a chain ending at it is verified: the
// CA must still be in the directory then, so that a CA deleted from it
// (file or link), or whose file was rewritten, is refused from the next
// verification on, also by a pool taken earlier.
//
// It lets crypto/tls verify with a hashed capath as with any other trust
// source (tls.Config.RootCAs or ClientCAs), with crypto/tls's own host name
// check, alerts and resumption checks. Reading the directory costs a read
// and a parse of every CA in it; the result is kept, and later calls cost
// one stat of each directory and a clone of the pool while the directories
// are unchanged (same inode, size, modification and change time, and not
// modified in the last two seconds, so that a change within the file
// system's timestamp granularity is not missed). A CA added to the
// directory (a new name, as rehash makes) is therefore in the pools taken
// after it was added; a CA written in place over an existing file is
// trusted once the directory itself next changes ([Pool.Verify] sees it at
// once). For a pool that is not [Pool.Lazy], it is CertPoolFor. Files that
// cannot be read are left out; [Pool.Verify] reports them.
func (p *Pool) CertPoolNow(usage x509.ExtKeyUsage) *x509.CertPool {
	if !p.Lazy() {
		return p.CertPoolFor(usage)
	}
	x := p.pools()
	// The directories' state before they are read: a change while they
	// are read makes the next call read them again.
	fis := make([]fs.FileInfo, len(p.dirs))
	racy := false
	for i, d := range p.dirs {
		fi, err := os.Stat(d.path)
		if err != nil || time.Since(fi.ModTime()) < racyWindow {
			racy = true
		}
		fis[i] = fi
	}
	x.nowMu.Lock()
	c := x.now[usage]
	x.nowMu.Unlock()
	if c != nil && c.unchanged(fis) {
		return c.pool.Clone()
	}
	pool := p.readNow(usage)
	if !racy {
		x.nowMu.Lock()
		if x.now == nil {
			x.now = make(map[x509.ExtKeyUsage]*nowPool)
		}
		x.now[usage] = &nowPool{dirs: fis, pool: pool}
		x.nowMu.Unlock()
	}
	return pool.Clone()
}

// racyWindow is how recently a directory may have changed for a snapshot
// of it to be reused: file systems keep times to a second or two at
// worst, and a change within the same tick would not show.
const racyWindow = 2 * time.Second

// nowPool is a kept CertPoolNow result and the state of the directories
// it was read from.
type nowPool struct {
	dirs []fs.FileInfo
	pool *x509.CertPool // never modified; handed out as clones
}

func (c *nowPool) unchanged(fis []fs.FileInfo) bool {
	if len(c.dirs) != len(fis) {
		return false
	}
	for i := range fis {
		if fis[i] == nil || !fsx.Unchanged(c.dirs[i], fis[i]) || time.Since(fis[i].ModTime()) < racyWindow {
			return false
		}
	}
	return true
}

// readNow reads the hashed directories into a new pool.
func (p *Pool) readNow(usage x509.ExtKeyUsage) *x509.CertPool {
	roots := p.basePoolFor(usage).Clone()
	for _, d := range p.dirs {
		for _, h := range d.hashes() {
			certs, _ := d.lookup(h)
			for _, pc := range certs {
				own := pc.constraint
				if pc.trust != nil && slices.Contains(tlsPurposes, usage) {
					// As Verify: the trust settings for this purpose,
					// exactly.
					if !pc.trust.allows(usage) {
						continue
					}
					own = nil
				}
				roots.AddCertWithConstraint(pc.cert, d.stillHas(pc.cert, own))
			}
		}
	}
	return roots
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
// capath directories (by [Pool.Verify] or [Pool.CertPoolNow]) and is no
// longer found there under its subject hash. A resumed TLS session carries
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

// hasRead reports whether cert is among the certificates read from d.
func (d *hashDir) hasRead(cert *x509.Certificate) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, cf := range d.cache {
		for _, pc := range cf.certs {
			if bytes.Equal(pc.cert.Raw, cert.Raw) {
				return true
			}
		}
	}
	return false
}
