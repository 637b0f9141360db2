package capool

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
)

// maxIssuerDepth bounds how far up the chain Verify follows issuers through
// hashed capath directories.
const maxIssuerDepth = 8

// maxIssuerLookups bounds the distinct issuer names looked up in the
// directories for one verification: a peer may send many intermediates,
// and each distinct issuer costs a stat per directory.
const maxIssuerLookups = 32

// Verify verifies leaf, with the given intermediates, against the pool. It
// sets opts.Roots to [Pool.CertPool] plus the CAs found in the pool's hashed
// capath directories, and opts.Intermediates to opts.Intermediates (if set)
// plus intermediates, then calls leaf.Verify(opts). All other options (DNS
// name, key usages, time) are the caller's.
//
// CAs are found in a hashed directory as OpenSSL finds them: by the
// [SubjectHash] of the issuer name of the leaf and of each intermediate, in
// the files <hash>.0, <hash>.1 and so on up to the first missing number
// (or the first without a certificate); issuers of the CAs found are looked
// up in turn, up to 8 levels. Files read are cached by path and checked on
// every call (device, inode, size, modification and change time), so
// repeated verifications cost a few stat calls, a CA added to the
// directory later is found on the next call without reloading the pool,
// and one removed is no longer found. Problems met reading those files are
// wrapped into the returned error when verification fails.
//
// Verify is safe for concurrent use.
func (p *Pool) Verify(leaf *x509.Certificate, intermediates []*x509.Certificate, opts x509.VerifyOptions) ([][]*x509.Certificate, error) {
	if leaf == nil {
		return nil, errors.New("capool: Verify: no leaf certificate")
	}
	var inter *x509.CertPool
	if opts.Intermediates != nil {
		inter = opts.Intermediates.Clone()
	} else {
		inter = x509.NewCertPool()
	}
	for _, c := range intermediates {
		if c != nil {
			inter.AddCert(c)
		}
	}
	opts.Intermediates = inter

	// The purpose verified, when it is one: TRUSTED CERTIFICATE settings
	// are then applied for it exactly.
	// crypto/x509 assumes server authentication when KeyUsages is empty.
	purpose := x509.ExtKeyUsageAny
	switch {
	case len(opts.KeyUsages) == 0:
		purpose = x509.ExtKeyUsageServerAuth
	case len(opts.KeyUsages) == 1 && slices.Contains(tlsPurposes, opts.KeyUsages[0]):
		purpose = opts.KeyUsages[0]
	}
	roots := p.basePoolFor(purpose)
	var problems []error
	if p.Lazy() {
		var found []parsedCert
		found, problems = p.lookupIssuers(leaf, intermediates)
		if len(found) > 0 {
			roots = roots.Clone()
			for _, pc := range found {
				if pc.trust != nil && purpose != x509.ExtKeyUsageAny {
					if pc.trust.allows(purpose) {
						roots.AddCert(pc.cert)
					}
					continue
				}
				if pc.constraint != nil {
					roots.AddCertWithConstraint(pc.cert, pc.constraint)
				} else {
					roots.AddCert(pc.cert)
				}
			}
		}
	}
	opts.Roots = roots
	chains, err := leaf.Verify(opts)
	if err != nil && len(problems) > 0 {
		err = fmt.Errorf("%w (capool: problems in capath: %w)", err, errors.Join(problems...))
	}
	return chains, err
}

// lookupIssuers finds, in the pool's hashed directories, the CAs whose
// subject hash is that of the issuer of leaf or of an intermediate, then
// their issuers, up to maxIssuerDepth levels.
func (p *Pool) lookupIssuers(leaf *x509.Certificate, intermediates []*x509.Certificate) ([]parsedCert, []error) {
	var (
		found    []parsedCert
		problems []error
		seenHash = make(map[uint32]bool)
		seenCert = make(map[string]bool)
		queue    = [][]byte{leaf.RawIssuer}
	)
	for _, c := range intermediates {
		if c != nil {
			queue = append(queue, c.RawIssuer)
		}
	}
	for depth := 0; depth < maxIssuerDepth && len(queue) > 0; depth++ {
		var next [][]byte
		for _, issuer := range queue {
			h, err := nameHash(issuer)
			if err != nil || seenHash[h] {
				continue
			}
			if len(seenHash) >= maxIssuerLookups {
				return found, problems
			}
			seenHash[h] = true
			for _, d := range p.dirs {
				certs, probs := d.lookup(h)
				problems = append(problems, probs...)
				for _, pc := range certs {
					if seenCert[string(pc.cert.Raw)] {
						continue
					}
					seenCert[string(pc.cert.Raw)] = true
					found = append(found, pc)
					next = append(next, pc.cert.RawIssuer)
				}
			}
		}
		queue = next
	}
	return found, problems
}
