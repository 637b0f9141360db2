package capool

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tlsdefault/tlsdefault/internal/fsx"
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

	// CAPath is a directory, not recursed into. With hashed names
	// (<hash>.<n>, made by `openssl rehash` or [Rehash]) it is OpenSSL's
	// hashed layout, looked up by issuer hash when a chain is verified, and
	// its other files are not read (see the package doc); without any, its
	// plain .pem, .crt and .cer files are read when the pool is loaded.
	// Names starting with a dot are skipped. Files that cannot be read are
	// reported by [Pool.Problems]; a directory with no hashed name and no
	// certificate is an error.
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
	// the embedded roots. For a certificate of a hashed capath directory it
	// is the file its hashed names lead to (the target of a symbolic link,
	// joined with the directory when relative).
	Path string

	// Block is the 1-based PEM block in the file (counting blocks of every
	// type), or 0 for DER input and the embedded roots. For cafile and
	// plain capath files, Path and Block say where the certificate was
	// read when the pool was loaded (see "Memory" in the package doc).
	Block int

	// Links are the hashed names (<hash>.<n>) of a capath directory through
	// which OpenSSL's lookups, and the pool's, find the certificate; empty
	// for other sources.
	Links []string
}

// entry is a certificate kept as DER with where it came from, as
// crypto/x509's own pool keeps DER, and parsed when it is asked for.
//
// Once the pool's *x509.CertPool form exists (which holds its own copy of
// the DER), an entry read from a file without a constraint drops its DER
// and keeps sum, the SHA-256 of it, to find it in the file again when it is
// listed (see listing.go).
type entry struct {
	der    []byte // nil once dropped
	sum    [32]byte
	file   *loadedFile // the file it was read from; nil for cadata and the system store
	source string
	path   string
	block  int
	// constraint is the check to add it with (the embedded roots'
	// distrust dates, TRUSTED CERTIFICATE settings where the purpose is
	// not known); trust the TRUSTED CERTIFICATE settings per purpose.
	constraint func([]*x509.Certificate) error
	trust      *trustSettings
}

func newEntry(pc parsedCert, source, path string) entry {
	return entry{der: pc.cert.Raw, source: source, path: path, block: pc.block, constraint: pc.constraint, trust: pc.trust}
}

// newFileEntry is newEntry for a certificate read from file.
func newFileEntry(pc parsedCert, source string, file *loadedFile) entry {
	e := newEntry(pc, source, file.path)
	e.file = file
	return e
}

// droppable reports whether the entry may drop its DER once the
// *x509.CertPool form holds it: it can be found again in its file, and was
// added to that form as DER (a certificate with a constraint or trust
// settings is added parsed, and keeps its DER).
func (e *entry) droppable() bool {
	return e.der != nil && e.file != nil && e.constraint == nil && e.trust == nil
}

// public parses the entry's certificate for a listing. The DER parsed when
// the entry was made, so this cannot fail short of memory corruption.
func (e *entry) public() (Entry, bool) {
	cert, err := x509.ParseCertificate(e.der)
	if err != nil {
		return Entry{}, false
	}
	return Entry{Cert: cert, Source: e.source, Path: e.path, Block: e.block}, true
}

// Pool is a set of trusted certificates merged from cafile, capath, cadata
// and the system store, with a record of where each came from.
//
// A Pool does not change once built, and its methods are safe for
// concurrent use. A zero Pool is empty and usable, and the methods of a nil
// *Pool treat it as empty.
type Pool struct {
	dirs     []*hashDir   // capath directories with hashed names
	system   *systemStore // nil unless the system store is included
	problems []error      // the load report
	sources  []string     // plain-word descriptions, for Describe

	// x holds the eager certificates (cafile, cadata, plain capath) and
	// the *x509.CertPool form of them and of the system store, built on
	// first use (CertPool, CertPoolFor, Verify); it is shared by pools that
	// hold the same certificates (Merge of one pool).
	x *xpools
}

// list returns the pool's eager certificates, deduplicated, in the order
// read. The slice must not be modified.
func (p *Pool) list() []entry {
	if p == nil || p.x == nil {
		return nil
	}
	if l := p.x.entries.Load(); l != nil {
		return *l
	}
	return nil
}

// xpools holds a Pool's eager certificates and the crypto/x509 pools
// built from them.
type xpools struct {
	// entries is replaced once, when the crypto/x509 pools are built, by
	// a copy whose file-backed entries have dropped their DER (readers
	// take the slice they load, never a mix).
	entries atomic.Pointer[[]entry]

	once sync.Once
	base *x509.CertPool
	// byPurpose holds, when some entry has trust settings, the pool for
	// server and client authentication with the settings applied.
	byPurpose map[x509.ExtKeyUsage]*x509.CertPool

	// snap holds the pools CertPoolNow built, by purpose, kept while the
	// hashed directories' readings stay the same (snapshot.go).
	snapMu sync.Mutex
	snap   map[x509.ExtKeyUsage]snapPool
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
	p       Pool
	entries []entry // eager certificates as DER, deduplicated
	seed    maphash.Seed
	seen    map[uint64]int // hash of DER -> index in entries
	// seenMore holds, for the rare hash shared by different DER, the
	// other certificates by their DER.
	seenMore map[string]int
}

func newBuilder() *builder {
	return &builder{seed: maphash.MakeSeed(), seen: make(map[uint64]int)}
}

// find returns the index of the entry with this DER, or -1.
func (b *builder) find(der []byte, h uint64) int {
	if i, ok := b.seen[h]; ok {
		if bytes.Equal(b.entries[i].der, der) {
			return i
		}
		if j, ok := b.seenMore[string(der)]; ok {
			return j
		}
	}
	return -1
}

// add adds one certificate unless already present; it reports whether it
// was new. Duplicates are reported when report is set; cert, if known, is
// the parsed certificate, for the report.
func (b *builder) add(e entry, cert *x509.Certificate, inDir, report bool) bool {
	h := maphash.Bytes(b.seed, e.der)
	if first := b.find(e.der, h); first >= 0 {
		if report {
			subject := "?"
			if cert == nil {
				cert, _ = x509.ParseCertificate(e.der)
			}
			if cert != nil {
				subject = cert.Subject.String()
			}
			b.p.problems = append(b.p.problems, &SourceError{Source: e.source, Path: e.path, Block: e.block, inDir: inDir,
				Err: fmt.Errorf("duplicate certificate %q, already read from %s", subject, describeEntry(&b.entries[first]))})
		}
		return false
	}
	if _, taken := b.seen[h]; taken {
		if b.seenMore == nil {
			b.seenMore = make(map[string]int)
		}
		b.seenMore[string(e.der)] = len(b.entries)
	} else {
		b.seen[h] = len(b.entries)
	}
	b.entries = append(b.entries, e)
	return true
}

func describeEntry(e *entry) string {
	s := e.source
	if e.path != "" {
		s += " " + e.path
	}
	if e.block > 0 {
		s += fmt.Sprintf(" block %d", e.block)
	}
	return s
}

func (b *builder) note(source, path string, inDir bool, notes []blockErr) {
	for _, n := range notes {
		b.p.problems = append(b.p.problems, &SourceError{Source: source, Path: path, Block: n.block, Err: n.err, inDir: inDir})
	}
}

func (b *builder) loadFile(path string) error {
	data, fi, err := fsx.ReadFileInfo(path, maxSourceSize)
	if err != nil {
		if errors.Is(err, fsx.ErrIsDir) {
			return &SourceError{Source: "cafile", Path: path, Err: errors.New("is a directory, not a file (give a directory as capath)")}
		}
		return pathErr("cafile", path, err)
	}
	// Each certificate goes into the pool as it is parsed and its parsed
	// form is dropped, as AppendCertsFromPEM does: a large bundle is never
	// held parsed all at once. On error the builder is thrown away.
	b.grow(data)
	file := &loadedFile{path: path, fi: fi}
	res, err := strictResult(parseCertsTo(data, parseStrict, func(pc parsedCert) {
		b.add(newFileEntry(pc, "cafile", file), pc.cert, false, true)
	}), "cafile", path, false)
	if err != nil {
		return err
	}
	b.note("cafile", path, false, res.notes)
	b.p.sources = append(b.p.sources, "cafile "+path)
	return nil
}

// grow makes room for the certificates data may hold: one per BEGIN
// line, but no more than a real certificate's size allows (hostile input
// of BEGIN lines alone must not reserve room for each).
func (b *builder) grow(data []byte) {
	n := min(bytes.Count(data, pemBegin), len(data)/minCertPEM+1)
	b.entries = slices.Grow(b.entries, n)
}

// minCertPEM is about the smallest PEM certificate there is.
const minCertPEM = 400

func (b *builder) loadData(data []byte) error {
	b.grow(data)
	res, err := parseDataTo(data, func(pc parsedCert) {
		e := newEntry(pc, "cadata", "")
		// The caller owns data (DER input is kept as sliced from it).
		e.der = bytes.Clone(e.der)
		b.add(e, pc.cert, false, true)
	})
	if err != nil {
		return err
	}
	b.note("cadata", "", false, res.notes)
	b.p.sources = append(b.p.sources, "cadata ("+plural(res.n, "certificate")+")")
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// build finishes the pool; the crypto/x509 pools are built on first use.
func (b *builder) build() *Pool {
	b.seen, b.seenMore = nil, nil // the pool outlives the builder's index
	b.p.x = new(xpools)
	// The Pool returned points into the builder: the builder must not
	// keep the slice that dropDER replaces.
	ents := b.entries
	b.entries = nil
	b.p.x.entries.Store(&ents)
	return &b.p
}

// pools returns the crypto/x509 pools of p, building them on first use.
func (p *Pool) pools() *xpools {
	if p == nil || p.x == nil {
		return &xpools{base: x509.NewCertPool()} // a nil or zero Pool
	}
	p.x.once.Do(func() {
		p.x.build(p)
		p.x.dropDER()
	})
	return p.x
}

// dropDER replaces the entries by a copy in which those read from a file
// (without a constraint) keep the SHA-256 of their DER instead of the DER,
// which the crypto/x509 pools now hold: the pool in use then keeps about
// the memory of an x509.CertPool alone. Listings read such certificates
// from their file again (see listing.go).
func (x *xpools) dropDER() {
	old := x.entries.Load()
	if old == nil || !slices.ContainsFunc(*old, func(e entry) bool { return e.droppable() }) {
		return
	}
	kept := slices.Clone(*old)
	for i := range kept {
		if e := &kept[i]; e.droppable() {
			e.sum = sha256.Sum256(e.der)
			e.der = nil
		}
	}
	x.entries.Store(&kept)
}

// build makes the crypto/x509 pools. Certificates without a constraint
// are added as crypto/x509's AppendCertsFromPEM adds them, as DER parsed
// when a chain needs them, so that the memory kept is that of a plain
// x509.CertPool; the few with a constraint or trust settings are added
// parsed. Pools for a purpose are clones of the plain pool, sharing its
// certificates.
func (x *xpools) build(p *Pool) {
	var plain *x509.CertPool
	if p != nil && p.system != nil {
		plain = p.system.pool.Clone()
	} else {
		plain = x509.NewCertPool()
	}
	var buf bytes.Buffer
	flush := func() {
		if buf.Len() > 0 {
			plain.AppendCertsFromPEM(buf.Bytes())
			buf.Reset()
		}
	}
	var trusted []*entry
	ents := p.list()
	for i := range ents {
		e := &ents[i]
		switch {
		case e.trust != nil:
			trusted = append(trusted, e)
		case e.constraint != nil:
			if cert, err := x509.ParseCertificate(e.der); err == nil {
				plain.AddCertWithConstraint(cert, e.constraint)
			}
		default:
			pem.Encode(&buf, &pem.Block{Type: pemCertificate, Bytes: e.der})
			if buf.Len() > 1<<20 {
				flush()
			}
		}
	}
	flush()
	if len(trusted) == 0 {
		x.base = plain
		return
	}
	parsed := make([]*x509.Certificate, len(trusted))
	for i, e := range trusted {
		parsed[i], _ = x509.ParseCertificate(e.der)
	}
	x.base = plain.Clone()
	for i, e := range trusted {
		if parsed[i] != nil {
			x.base.AddCertWithConstraint(parsed[i], e.constraint)
		}
	}
	x.byPurpose = make(map[x509.ExtKeyUsage]*x509.CertPool)
	for _, usage := range tlsPurposes {
		pool := plain.Clone()
		for i, e := range trusted {
			if parsed[i] != nil && e.trust.allows(usage) {
				pool.AddCert(parsed[i])
			}
		}
		x.byPurpose[usage] = pool
	}
}

// Merge returns a new Pool holding everything in the given pools (nil
// entries are ignored): their certificates, deduplicated by DER (the first
// occurrence is kept, with its origin), their hashed capath directories, and
// the system store if any of them includes it. The load reports are
// concatenated. The given pools are not changed. The certificates that a
// pool in use keeps only by file and SHA-256 are read from their files
// again (see "Memory" in the package doc); one no longer there is left out
// of the merged pool, and reported by its Problems.
func Merge(pools ...*Pool) *Pool {
	var only *Pool
	n := 0
	for _, q := range pools {
		if q != nil {
			only = q
			n++
		}
	}
	if n == 1 {
		// The same certificates: share the crypto/x509 pools, so that
		// WithPool(p) in many clients builds them once.
		x := only.x
		if x == nil {
			x = new(xpools) // a zero Pool
		}
		return &Pool{dirs: only.dirs, system: only.system,
			problems: only.problems, sources: only.sources, x: x}
	}
	b := newBuilder()
	dirSeen := make(map[string]bool)
	srcSeen := make(map[string]bool)
	for _, q := range pools {
		if q == nil {
			continue
		}
		// Certificates whose DER was dropped are read from their files
		// again; any no longer there is left out, and reported.
		ents, lost := q.withDER()
		for _, e := range ents {
			b.add(e, nil, false, false)
		}
		b.p.problems = append(b.p.problems, lost...)
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
// returns a fresh pool the caller may add to. The certificates are shared
// with the pool's own, built on the first call: like crypto/x509's
// AppendCertsFromPEM, as DER parsed when a chain needs them.
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
	x := p.pools()
	if pool, ok := x.byPurpose[usage]; ok {
		return pool
	}
	return x.base
}

// basePool returns the shared base pool, which must not be modified.
func (p *Pool) basePool() *x509.CertPool {
	return p.pools().base
}

// Certificates returns the certificates of the pool, parsed when it is
// called: those read from cafile, cadata and capath, those the hashed
// capath directories hold now, and the system store's where it can be
// listed. See [Pool.Entries].
func (p *Pool) Certificates() []*x509.Certificate {
	entries := p.Entries()
	certs := make([]*x509.Certificate, len(entries))
	for i, e := range entries {
		certs[i] = e.Cert
	}
	return certs
}

// Len returns the number of certificates [Pool.Certificates] lists. For a
// pool with a hashed capath directory or the system store it reads them,
// as Entries does, and it reads a cafile again if it has changed since the
// pool was loaded and used (see "Memory" in the package doc); [Pool.Empty]
// answers without reading anything.
func (p *Pool) Len() int {
	if p == nil {
		return 0
	}
	if len(p.dirs) == 0 && p.system == nil && !p.filesChanged() {
		return len(p.list())
	}
	return len(p.Entries())
}

// Empty reports whether the pool can trust nothing at all: no certificate,
// no hashed capath directory, no system store. It reads no file. (A
// hashed directory may still hold nothing usable; a verification then
// fails, as with OpenSSL.)
func (p *Pool) Empty() bool {
	return p == nil || len(p.list()) == 0 && len(p.dirs) == 0 && p.system == nil
}

// Entries lists each certificate of the pool with where it came from,
// parsed when it is called: the certificates read from cafile, cadata and
// plain capath files, in the order they were read (once the pool has been
// used, those of files are read from the files again and matched by
// SHA-256; one no longer in its file is left out and reported by
// [Pool.Problems]: see "Memory" in the package doc); then those of each
// hashed capath directory as it is now (every <hash>.<n> file is read, and
// each certificate listed once with the names that hold it and the file
// they lead to); then the system store's.
//
// The system store is listed where crypto/x509 reads it from files (Linux,
// the BSDs, illumos and the other Unix systems): the files it reads are
// read again (SSL_CERT_FILE or the first standard bundle found, then
// SSL_CERT_DIR or the standard directories), once per pool. Where the
// system had no store the embedded Mozilla roots are listed. On macOS and
// Windows the platform verifier holds the system roots and they cannot be
// listed, so only the certificates of the other sources appear.
func (p *Pool) Entries() []Entry {
	if p == nil {
		return nil
	}
	ents := p.list()
	out := make([]Entry, 0, len(ents))
	seen := make(map[string]int, len(ents))
	again := rereadFiles(ents)
	for i := range ents {
		e, ok := ents[i].public()
		if !ok && ents[i].der == nil {
			e, ok = again.find(&ents[i])
		}
		if ok {
			seen[string(e.Cert.Raw)] = len(out)
			out = append(out, e)
		}
	}
	for _, d := range p.dirs {
		listed, _ := d.list()
		for _, e := range listed {
			if i, dup := seen[string(e.Cert.Raw)]; dup {
				out[i].Links = append(out[i].Links, e.Links...)
				continue
			}
			seen[string(e.Cert.Raw)] = len(out)
			out = append(out, e)
		}
	}
	if p.system != nil {
		listed, _ := p.system.listing()
		for i := range listed {
			if _, dup := seen[string(listed[i].der)]; dup {
				continue
			}
			if e, ok := listed[i].public(); ok {
				seen[string(e.Cert.Raw)] = len(out)
				out = append(out, e)
			}
		}
	}
	return out
}

// Problems returns the load report: the non-fatal problems met while
// loading, each a *[SourceError]. They are files in a plain capath
// directory that could not be read or hold no usable certificate, blocks of
// such files that do not parse, duplicate certificates, certificates left
// out because their OpenSSL trust settings reject them, and roots of the
// system store that do not parse (the system store is read leniently).
//
// Once the pool has been used, a cafile or plain capath file changed since
// the load (by its stamp) is read again, and one that no longer holds
// every certificate read from it, or can no longer be read, is reported:
// those certificates are still trusted, as loaded, but not listed.
//
// For a hashed capath directory, the problems of its <hash>.<n> files as
// they are now (unreadable, no certificate, a block that does not parse, a
// name whose hash is not that of the certificate's subject, which lookups
// will therefore not find) are listed too: the directory is read when
// Problems is called. Problems met when a hashed file is read during
// [Pool.Verify] are returned with that verification's error.
func (p *Pool) Problems() []error {
	if p == nil {
		return nil
	}
	out := append([]error(nil), p.problems...)
	out = append(out, p.fileProblems()...)
	for _, d := range p.dirs {
		_, probs := d.list()
		out = append(out, probs...)
	}
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
