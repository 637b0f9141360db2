package capool

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Sources names the trust sources to read, as Python's
// ssl.create_default_context takes cafile, capath and cadata. An empty field
// means "not given"; every given source is read and merged.
type Sources struct {
	// CAFile is a file of PEM certificates (a bundle such as Debian's
	// /etc/ssl/certs/ca-certificates.crt). Text between PEM blocks is
	// ignored; CRL and key blocks are skipped. Every certificate block must
	// parse, and the file must hold at least one certificate.
	CAFile string

	// CAPath is a directory, not recursed into: OpenSSL's hashed layout
	// (<hash>.<n> names, made by `openssl rehash` or [Rehash]), looked up by
	// issuer hash when a chain is verified, and plain .pem, .crt and .cer
	// files, read when the pool is loaded. Names starting with a dot are
	// skipped. Files that cannot be read are reported by [Pool.Problems];
	// a directory with no certificate at all is an error.
	CAPath string

	// CAData is PEM text or DER bytes: one certificate, or several
	// concatenated. Input containing "-----BEGIN " is read as PEM.
	CAData []byte
}

// Entry is one certificate of a [Pool] and where it was read from.
type Entry struct {
	Cert *x509.Certificate

	// Source is "cafile", "capath", "cadata", "system" or "embedded" (the
	// Mozilla roots built in for systems without a store).
	Source string

	// Path is the file the certificate was read from; empty for cadata and
	// the embedded roots.
	Path string

	// Block is the 1-based PEM block in the file (counting blocks of every
	// type), or 0 for DER input and the embedded roots.
	Block int
}

// entry is an Entry with the constraint to add it with and, for a TRUSTED
// CERTIFICATE, its trust settings.
type entry struct {
	Entry
	constraint func([]*x509.Certificate) error
	trust      *trustSettings
}

// Pool is a set of trusted certificates merged from cafile, capath, cadata
// and the system store, with a record of where each came from.
//
// A Pool does not change once built, and its methods are safe for
// concurrent use. A zero Pool is empty and usable, and the methods of a nil
// *Pool treat it as empty.
type Pool struct {
	entries  []entry        // eager certificates, deduplicated by DER
	dirs     []*hashDir     // capath directories with hashed names
	system   *systemStore   // nil unless the system store is included
	problems []error        // the load report
	sources  []string       // plain-word descriptions, for Describe
	base     *x509.CertPool // entries plus the system store; never mutated
	// byPurpose holds, when some entry has trust settings, the base pool
	// for server and client authentication with the settings applied.
	byPurpose map[x509.ExtKeyUsage]*x509.CertPool
}

// Load reads every source given in src and merges them into one Pool;
// a certificate found twice (same DER) is kept once and the duplicate is
// reported by [Pool.Problems].
//
// Explicit sources are strict: a missing or unreadable cafile or capath, a
// cafile that is a directory, a capath that is a file, a certificate block
// that does not parse, or a source with no certificate is an error, a
// *[SourceError] naming the source, the path and the block. Sources larger
// than 64 MiB are refused without being read. Load with no source given
// returns an error; use [System] for the system store.
func Load(src Sources) (*Pool, error) {
	if src.CAFile == "" && src.CAPath == "" && len(src.CAData) == 0 {
		return nil, errNoSource
	}
	b := newBuilder()
	if src.CAFile != "" {
		if err := b.loadFile(src.CAFile); err != nil {
			return nil, err
		}
	}
	if src.CAPath != "" {
		if err := b.loadDir(src.CAPath); err != nil {
			return nil, err
		}
	}
	if len(src.CAData) > 0 {
		if err := b.loadData(src.CAData); err != nil {
			return nil, err
		}
	}
	return b.build(), nil
}

// builder accumulates a Pool.
type builder struct {
	p    Pool
	seen map[string]int // DER -> index in p.entries
}

func newBuilder() *builder { return &builder{seen: make(map[string]int)} }

// add adds one certificate unless already present; it reports whether it
// was new. Duplicates are reported when report is set.
func (b *builder) add(e entry, inDir, report bool) bool {
	key := string(e.Cert.Raw)
	if first, dup := b.seen[key]; dup {
		if report {
			b.p.problems = append(b.p.problems, &SourceError{Source: e.Source, Path: e.Path, Block: e.Block, inDir: inDir,
				Err: fmt.Errorf("duplicate certificate %q, already read from %s", e.Cert.Subject, describeEntry(b.p.entries[first].Entry))})
		}
		return false
	}
	b.seen[key] = len(b.p.entries)
	b.p.entries = append(b.p.entries, e)
	return true
}

func describeEntry(e Entry) string {
	s := e.Source
	if e.Path != "" {
		s += " " + e.Path
	}
	if e.Block > 0 {
		s += fmt.Sprintf(" block %d", e.Block)
	}
	return s
}

func (b *builder) note(source, path string, inDir bool, notes []blockErr) {
	for _, n := range notes {
		b.p.problems = append(b.p.problems, &SourceError{Source: source, Path: path, Block: n.block, Err: n.err, inDir: inDir})
	}
}

func (b *builder) loadFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return pathErr("cafile", path, err)
	}
	if fi.IsDir() {
		return &SourceError{Source: "cafile", Path: path, Err: errors.New("is a directory, not a file (give a directory as capath)")}
	}
	data, err := readCapped(path)
	if err != nil {
		return pathErr("cafile", path, err)
	}
	res, err := strictResult(parseCerts(data, false), "cafile", path, false)
	if err != nil {
		return err
	}
	for _, pc := range res.certs {
		b.add(entry{Entry{pc.cert, "cafile", path, pc.block}, pc.constraint, pc.trust}, false, true)
	}
	b.note("cafile", path, false, res.notes)
	b.p.sources = append(b.p.sources, "cafile "+path)
	return nil
}

func (b *builder) loadData(data []byte) error {
	res, err := parseData(data)
	if err != nil {
		return err
	}
	for _, pc := range res.certs {
		b.add(entry{Entry{pc.cert, "cadata", "", pc.block}, pc.constraint, pc.trust}, false, true)
	}
	b.note("cadata", "", false, res.notes)
	b.p.sources = append(b.p.sources, "cadata ("+plural(len(res.certs), "certificate")+")")
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// build computes the base pool.
func (b *builder) build() *Pool {
	p := &b.p
	b.seen = nil // the pool outlives the builder's index of DER
	var base *x509.CertPool
	if p.system != nil {
		base = p.system.pool.Clone()
	} else {
		base = x509.NewCertPool()
	}
	hasTrust := false
	for _, e := range p.entries {
		hasTrust = hasTrust || e.trust != nil
		if e.constraint != nil {
			base.AddCertWithConstraint(e.Cert, e.constraint)
		} else {
			base.AddCert(e.Cert)
		}
	}
	p.base = base
	if hasTrust {
		p.byPurpose = make(map[x509.ExtKeyUsage]*x509.CertPool)
		for _, usage := range tlsPurposes {
			var pool *x509.CertPool
			if p.system != nil {
				pool = p.system.pool.Clone()
			} else {
				pool = x509.NewCertPool()
			}
			for _, e := range p.entries {
				switch {
				case e.trust != nil:
					if e.trust.allows(usage) {
						pool.AddCert(e.Cert)
					}
				case e.constraint != nil:
					pool.AddCertWithConstraint(e.Cert, e.constraint)
				default:
					pool.AddCert(e.Cert)
				}
			}
			p.byPurpose[usage] = pool
		}
	}
	return p
}

// Merge returns a new Pool holding everything in the given pools (nil
// entries are ignored): their certificates, deduplicated by DER (the first
// occurrence is kept, with its origin), their hashed capath directories, and
// the system store if any of them includes it. The load reports are
// concatenated. The given pools are not changed.
func Merge(pools ...*Pool) *Pool {
	b := newBuilder()
	dirSeen := make(map[string]bool)
	srcSeen := make(map[string]bool)
	for _, q := range pools {
		if q == nil {
			continue
		}
		for _, e := range q.entries {
			b.add(e, false, false)
		}
		for _, d := range q.dirs {
			if !dirSeen[d.path] {
				dirSeen[d.path] = true
				b.p.dirs = append(b.p.dirs, d)
			}
		}
		if b.p.system == nil && q.system != nil {
			b.p.system = q.system
		}
		b.p.problems = append(b.p.problems, q.problems...)
		for _, s := range q.sources {
			if !srcSeen[s] {
				srcSeen[s] = true
				b.p.sources = append(b.p.sources, s)
			}
		}
	}
	return b.build()
}

// CertPool returns a new *x509.CertPool holding the pool's certificates and,
// if the pool includes it, the system store. It is never nil, and each call
// returns a fresh pool the caller may add to.
//
// It does not hold the CAs of hashed capath directories, which are looked up
// when a chain is verified: when [Pool.Lazy] reports true, verify with
// [Pool.Verify] instead of putting CertPool in a tls.Config alone.
func (p *Pool) CertPool() *x509.CertPool {
	return p.basePool().Clone()
}

// CertPoolFor is CertPool for chains verified for one purpose,
// x509.ExtKeyUsageServerAuth (a client checking servers) or
// x509.ExtKeyUsageClientAuth (a server checking clients). It differs from
// CertPool only for certificates read from TRUSTED CERTIFICATE blocks,
// whose OpenSSL trust settings are then applied exactly, as OpenSSL applies
// them for that purpose; CertPool, not knowing the purpose, accepts such a
// certificate when the leaf's extended key usages include a purpose it is
// trusted for.
func (p *Pool) CertPoolFor(usage x509.ExtKeyUsage) *x509.CertPool {
	return p.basePoolFor(usage).Clone()
}

// basePoolFor returns the shared base pool for usage, which must not be
// modified.
func (p *Pool) basePoolFor(usage x509.ExtKeyUsage) *x509.CertPool {
	if p != nil && p.byPurpose != nil {
		if pool, ok := p.byPurpose[usage]; ok {
			return pool
		}
	}
	return p.basePool()
}

// basePool returns the shared base pool, which must not be modified.
func (p *Pool) basePool() *x509.CertPool {
	if p == nil || p.base == nil {
		return x509.NewCertPool()
	}
	return p.base
}

// Certificates returns the certificates of the pool that can be listed: those
// read from cafile, cadata and plain capath files, and the system store's.
//
// Certificates in hashed capath directories are not listed: they are read
// only when a chain needs them. For a pool including the system store, on
// Linux the files Go's crypto/x509 reads are read again to list them
// (SSL_CERT_FILE or the first standard bundle found, and SSL_CERT_DIR or
// /etc/ssl/certs and /etc/pki/tls/certs); where the system store was empty
// the embedded Mozilla roots are listed. On macOS and Windows the platform
// verifier holds the system roots and they cannot be listed, so only the
// certificates added from other sources appear.
func (p *Pool) Certificates() []*x509.Certificate {
	entries := p.Entries()
	certs := make([]*x509.Certificate, len(entries))
	for i, e := range entries {
		certs[i] = e.Cert
	}
	return certs
}

// Len returns the number of certificates [Pool.Certificates] lists.
func (p *Pool) Len() int {
	return len(p.Entries())
}

// Entries lists each certificate of [Pool.Certificates] with where it came
// from, in the order they were read.
func (p *Pool) Entries() []Entry {
	if p == nil {
		return nil
	}
	out := make([]Entry, 0, len(p.entries))
	seen := make(map[string]bool, len(p.entries))
	for _, e := range p.entries {
		seen[string(e.Cert.Raw)] = true
		out = append(out, e.Entry)
	}
	if p.system != nil {
		listed, _ := p.system.listing()
		for _, e := range listed {
			if !seen[string(e.Cert.Raw)] {
				seen[string(e.Cert.Raw)] = true
				out = append(out, e.Entry)
			}
		}
	}
	return out
}

// Problems returns the load report: the non-fatal problems met while
// loading, each a *[SourceError]. They are files in a capath directory that
// could not be read or hold no usable certificate, blocks of such files that
// do not parse, duplicate certificates, certificates left out because their
// OpenSSL trust settings reject them, and roots of the system store that do
// not parse (the system store is read leniently). Problems met when a hashed
// capath file is read during [Pool.Verify] are returned with that
// verification's error instead.
func (p *Pool) Problems() []error {
	if p == nil {
		return nil
	}
	out := append([]error(nil), p.problems...)
	if p.system != nil {
		_, probs := p.system.listing()
		out = append(out, probs...)
	}
	return out
}

// IncludesSystem reports whether the pool includes the system store: pools
// from [System], or merged with one by [Merge].
func (p *Pool) IncludesSystem() bool {
	return p != nil && p.system != nil
}

// Lazy reports whether verification must consult a hashed capath directory
// when a chain is verified: [Pool.CertPool] alone does not hold those CAs,
// and callers then verify with [Pool.Verify].
func (p *Pool) Lazy() bool {
	return p != nil && len(p.dirs) > 0
}

// Describe names the trust sources in plain words, for error messages, as in
//
//	cafile /etc/ca.pem, capath /etc/ssl/certs (looked up by hash), cadata (2 certificates), system store
//
// An empty pool is described as "no trust source".
func (p *Pool) Describe() string {
	if p == nil || len(p.sources) == 0 {
		return "no trust source"
	}
	return strings.Join(p.sources, ", ")
}
