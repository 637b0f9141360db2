package capool

import (
	"cmp"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tlsdefault/tlsdefault/internal/fsx"
	"github.com/tlsdefault/tlsdefault/internal/hashname"
)

// Rehash does in dir what `openssl rehash dir` (and c_rehash) does: for
// each .pem, .crt, .cer and .crl file holding exactly one PEM certificate
// or CRL (version 1 or 2), it makes a symbolic link <hash>.<n>
// (<hash>.r<n> for a CRL) to the file, where <hash> is [SubjectHash] (the
// issuer's for a CRL) in eight hex digits and <n> numbers the files sharing
// a hash from 0. Files holding the same certificate or CRL get one link.
// The set of names is the one `openssl rehash` makes: files are taken in
// byte order of their names, and links that already point at the right
// file keep their number.
//
// Every operation goes through the directory opened once (os.OpenRoot), so
// a path component swapped while Rehash runs cannot send a link, a rename
// or a removal elsewhere; only the reading of a file that a symbolic link
// leads out of the directory (Debian's links into /usr/share) follows the
// link by its path. Each link is created under a temporary name and
// renamed into place, so a reader never sees a missing or half-made link.
// Hash-named symbolic links that no longer point at a certificate or CRL of
// the directory are removed (this is where Rehash is tidier than OpenSSL,
// which can leave some behind); regular files are never removed or
// replaced (a regular file that holds a wanted hash name is reported as an
// error instead).
//
// Files that cannot be used are skipped, as OpenSSL skips them, with the
// warnings `openssl rehash` prints ([RehashDir] returns them); Rehash
// returns an error only for files it could not open or read and links it
// could not make or remove.
func Rehash(dir string) error {
	_, err := RehashDir(dir)
	return err
}

// RehashReport is what [RehashDir] did.
type RehashReport struct {
	// Links are the hashed links of the directory, sorted by name: those
	// in place after the run, and those removed.
	Links []RehashLink

	// Warnings name the files skipped, in the words of `openssl rehash`:
	//
	//	skipping der.cer, it does not contain exactly one certificate or CRL
	//	skipping duplicate certificate in copy.pem
	Warnings []string
}

// RehashLink is one hashed link of a directory.
type RehashLink struct {
	Name   string // <hash>.<n> or <hash>.r<n>
	Target string // the file it points at, as the link holds it
	// Change is "" for a link left as it was, "new" for one made or
	// pointed at another file, "removed" for one removed.
	Change string
}

// RehashDir is [Rehash], returning what it did and the files it skipped.
// The report is returned with the error, as far as Rehash got.
func RehashDir(dir string) (*RehashReport, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, pathErr("capath", dir, err)
	}
	defer root.Close()
	d, err := root.Open(".")
	if err != nil {
		return nil, pathErr("capath", dir, err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, pathErr("capath", dir, err)
	}
	slices.Sort(names)
	if testRehashScanned != nil {
		testRehashScanned()
	}

	rep := &RehashReport{}
	var errs []error
	fail := func(name string, err error) {
		e := pathErr("capath", filepath.Join(dir, name), err)
		e.inDir = true
		errs = append(errs, e)
	}
	buckets := make(map[rehashKey]*rehashBucket)
	bucket := func(k rehashKey) *rehashBucket {
		b := buckets[k]
		if b == nil {
			b = &rehashBucket{key: k}
			buckets[k] = b
		}
		return b
	}
	existing := make(map[string]string) // hash-named symlink -> target
	regular := make(map[string]bool)    // hash-named entries that are not links

	for _, name := range names {
		lfi, err := root.Lstat(name)
		if err != nil {
			continue // removed meanwhile
		}
		isLink := lfi.Mode()&fs.ModeSymlink != 0
		if key, id, ok := rehashLinkName(name); ok {
			if isLink {
				target, err := root.Readlink(name)
				if err != nil {
					fail(name, err)
					continue
				}
				existing[name] = target
				bucket(key).add(target, nil, id)
				continue
			}
			regular[name] = true
		}
		if !rehashExt(name) {
			continue
		}
		data, err := rehashRead(root, dir, name, isLink)
		if err != nil {
			if errors.Is(err, fsx.ErrIsDir) {
				rep.warn("skipping %s, it does not contain exactly one certificate or CRL", name)
				continue
			}
			fail(name, fmt.Errorf("skipping it, cannot open file: %w", unwrapPathErr(err)))
			continue
		}
		key, digest, ok := rehashFile(data)
		if !ok {
			rep.warn("skipping %s, it does not contain exactly one certificate or CRL", name)
			continue
		}
		if !bucket(key).add(name, digest, -1) {
			what := "certificate"
			if key.suffix == "r" {
				what = "CRL"
			}
			rep.warn("skipping duplicate %s in %s", what, name)
		}
	}

	keys := make([]rehashKey, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b rehashKey) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.suffix, b.suffix)
	})
	want := make(map[string]string)
	for _, k := range keys {
		for name, target := range buckets[k].links() {
			want[name] = target
		}
	}

	wantNames := make([]string, 0, len(want))
	for name := range want {
		wantNames = append(wantNames, name)
	}
	slices.Sort(wantNames)
	for _, name := range wantNames {
		target := want[name]
		if old, ok := existing[name]; ok && old == target {
			rep.Links = append(rep.Links, RehashLink{Name: name, Target: target})
			continue
		}
		if regular[name] {
			// Never replace a file rehash did not make (OpenSSL would).
			fail(name, fmt.Errorf("is a regular file with a hash name, not a link; move it aside (it would be replaced by a link to %s)", target))
			continue
		}
		if err := atomicSymlink(root, target, name); err != nil {
			fail(name, err)
			continue
		}
		rep.Links = append(rep.Links, RehashLink{Name: name, Target: target, Change: "new"})
	}
	for name, target := range existing {
		if _, ok := want[name]; !ok {
			if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				fail(name, err)
				continue
			}
			rep.Links = append(rep.Links, RehashLink{Name: name, Target: target, Change: "removed"})
		}
	}
	slices.SortFunc(rep.Links, func(a, b RehashLink) int { return strings.Compare(a.Name, b.Name) })
	return rep, errors.Join(errs...)
}

// testRehashScanned, set only by tests, runs once the directory is listed:
// a test renames the directory there to check that Rehash goes on in the
// one it opened.
var testRehashScanned func()

func (r *RehashReport) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// rehashRead reads a file of the directory through root; a symbolic link
// that leads out of the directory (which root refuses to follow) is
// followed by its path, for reading only.
func rehashRead(root *os.Root, dir, name string, isLink bool) ([]byte, error) {
	data, _, err := fsx.ReadFileIn(root, name, maxSourceSize)
	if err == nil || !isLink || errors.Is(err, fsx.ErrIsDir) || errors.Is(err, fsx.ErrNotRegular) || errors.Is(err, fsx.ErrTooLarge) {
		return data, err
	}
	target, lerr := root.Readlink(name)
	if lerr != nil {
		return nil, err
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(dir, target)
	}
	return readCapped(target)
}

// rehashKey is a hash bucket: certificates ("") and CRLs ("r") apart.
type rehashKey struct {
	hash   uint32
	suffix string
}

// rehashEntry is a file of a bucket, possibly only known from an old link.
type rehashEntry struct {
	file   string
	digest []byte // SHA-1 of the DER; nil for an entry known from a link only
	oldID  int    // lowest number of an existing link to file; -1 if none
	need   bool   // file holds a certificate or CRL of this bucket
}

type rehashBucket struct {
	key       rehashKey
	entries   []*rehashEntry
	numNeeded int
}

// add records file in the bucket, as OpenSSL's add_entry does: a second
// file with the same digest is a duplicate and gets no link.
func (b *rehashBucket) add(file string, digest []byte, oldID int) bool {
	var found *rehashEntry
	for _, e := range b.entries {
		if digest != nil && e.digest != nil && string(e.digest) == string(digest) {
			return false
		}
		if e.file == file {
			found = e
		}
	}
	if found == nil {
		found = &rehashEntry{file: file, oldID: -1}
		b.entries = append(b.entries, found)
	}
	if oldID >= 0 && (found.oldID < 0 || oldID < found.oldID) {
		found.oldID = oldID
	}
	if digest != nil && !found.need {
		found.need = true
		found.digest = digest
		b.numNeeded++
	}
	return true
}

// links returns the link names the bucket needs and their targets: files
// already linked under a number below the count keep it, the others take
// the lowest free numbers in order.
func (b *rehashBucket) links() map[string]string {
	out := make(map[string]string)
	used := make(map[int]bool)
	var rest []*rehashEntry
	for _, e := range b.entries {
		if !e.need {
			continue
		}
		if e.oldID >= 0 && e.oldID < b.numNeeded && !used[e.oldID] {
			used[e.oldID] = true
			out[fmt.Sprintf("%08x.%s%d", b.key.hash, b.key.suffix, e.oldID)] = e.file
			continue
		}
		rest = append(rest, e)
	}
	next := 0
	for _, e := range rest {
		for used[next] {
			next++
		}
		used[next] = true
		out[fmt.Sprintf("%08x.%s%d", b.key.hash, b.key.suffix, next)] = e.file
	}
	return out
}

// rehashLinkName parses a link name the way OpenSSL's rehash recognises its
// own links: eight hex digits (either case), a dot, an optional "r", and a
// number.
func rehashLinkName(name string) (rehashKey, int, bool) {
	n, ok := hashname.Parse(name)
	if !ok {
		return rehashKey{}, 0, false
	}
	key := rehashKey{hash: n.Hash}
	if n.CRL {
		key.suffix = "r"
	}
	return key, n.N, true
}

// rehashExt reports whether name has an extension `openssl rehash` reads.
func rehashExt(name string) bool {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return false
	}
	switch strings.ToLower(name[i+1:]) {
	case "pem", "crt", "cer", "crl":
		return true
	}
	return false
}

// rehashFile reads a file as OpenSSL's PEM_X509_INFO_read_bio does and
// returns its bucket and digest if it holds exactly one certificate or CRL.
// Like OpenSSL, it reads PEM only, and gives up on a file with a
// certificate or CRL block that does not parse.
func rehashFile(data []byte) (key rehashKey, digest []byte, ok bool) {
	// OpenSSL reads the file as X509_INFO entries, which group at most one
	// certificate and one CRL: a file is used when it holds at most one of
	// each, and then linked as its certificate if it has one.
	var certs, crls int
	var certDER, certName, crlDER, crlName []byte
	rest := data
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		switch blk.Type {
		case pemCertificate, pemX509Certificate, pemTrustedCertificate:
			var cert *x509.Certificate
			var err error
			if blk.Type == pemTrustedCertificate {
				var pc parsedCert
				pc, _, err = parseTrusted(blk.Bytes)
				cert = pc.cert
			} else {
				cert, err = x509.ParseCertificate(blk.Bytes)
			}
			if err != nil || cert == nil {
				return key, nil, false
			}
			certs++
			certDER, certName = cert.Raw, cert.RawSubject
		case "X509 CRL":
			der, issuer, err := crlIssuer(blk.Bytes)
			if err != nil {
				return key, nil, false
			}
			crls++
			crlDER, crlName = der, issuer
		}
	}
	var der, name []byte
	switch {
	case certs > 1 || crls > 1 || certs+crls == 0:
		return key, nil, false
	case certs == 1:
		der, name, key.suffix = certDER, certName, ""
	default:
		der, name, key.suffix = crlDER, crlName, "r"
	}
	h, err := nameHash(name)
	if err != nil {
		return key, nil, false
	}
	key.hash = h
	sum := sha1.Sum(der)
	return key, sum[:], true
}

// crlIssuer returns the DER and the issuer name of a CRL, version 1 (the
// default of `openssl ca -gencrl`, which crypto/x509 does not read) or 2.
// It checks the structure OpenSSL's decoder needs before it links a CRL:
// CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm,
// signatureValue BIT STRING }, with tbsCertList ::= SEQUENCE { version
// INTEGER OPTIONAL (v2), signature, issuer Name, thisUpdate Time, ... }.
func crlIssuer(der []byte) (raw, issuer []byte, err error) {
	if crl, err := x509.ParseRevocationList(der); err == nil {
		return crl.Raw, crl.RawIssuer, nil
	}
	bad := errors.New("malformed CRL")
	tag, body, rest, err := readTLV(der)
	if err != nil || len(tag) != 1 || tag[0] != 0x30 || len(rest) != 0 {
		return nil, nil, bad
	}
	raw = der
	tag, tbs, body, err := readTLV(body)
	if err != nil || len(tag) != 1 || tag[0] != 0x30 {
		return nil, nil, bad
	}
	tag, _, body, err = readTLV(body) // signatureAlgorithm
	if err != nil || len(tag) != 1 || tag[0] != 0x30 {
		return nil, nil, bad
	}
	tag, _, body, err = readTLV(body) // signatureValue
	if err != nil || len(tag) != 1 || tag[0] != 0x03 || len(body) != 0 {
		return nil, nil, bad
	}
	tag, v, next, err := readTLV(tbs)
	if err != nil {
		return nil, nil, bad
	}
	if len(tag) == 1 && tag[0] == 0x02 { // version: v2 only (v1 is absent)
		if len(v) != 1 || v[0] != 1 {
			return nil, nil, bad
		}
		tbs = next
		tag, _, next, err = readTLV(tbs)
		if err != nil {
			return nil, nil, bad
		}
	}
	if len(tag) != 1 || tag[0] != 0x30 { // signature AlgorithmIdentifier
		return nil, nil, bad
	}
	tbs = next
	tag, _, next, err = readTLV(tbs)
	if err != nil || len(tag) != 1 || tag[0] != 0x30 {
		return nil, nil, bad
	}
	issuer = tbs[:len(tbs)-len(next)]
	tag, _, _, err = readTLV(next) // thisUpdate
	if err != nil || len(tag) != 1 || (tag[0] != 0x17 && tag[0] != 0x18) {
		return nil, nil, bad
	}
	if _, err := canonicalName(issuer); err != nil {
		return nil, nil, bad
	}
	return raw, issuer, nil
}

// atomicSymlink makes name a symbolic link to target in the directory of
// root by creating it under a temporary name and renaming it into place.
func atomicSymlink(root *os.Root, target, name string) error {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := "." + name + ".tmp-" + hex.EncodeToString(rnd[:])
	if err := root.Symlink(target, tmp); err != nil {
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		root.Remove(tmp)
		return err
	}
	return nil
}
