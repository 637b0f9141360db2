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
	"strconv"
	"strings"
)

// Rehash does in dir what `openssl rehash dir` (and c_rehash) does: for
// each .pem, .crt, .cer and .crl file holding exactly one PEM certificate
// or CRL, it makes a symbolic link <hash>.<n> (<hash>.r<n> for a CRL) to the
// file, where <hash> is [SubjectHash] (the issuer's for a CRL) in eight hex
// digits and <n> numbers the files sharing a hash from 0. Files holding the
// same certificate get one link. The set of names is the one `openssl
// rehash` makes: files are taken in byte order of their names, and links
// that already point at the right file keep their number.
//
// Each link is created under a temporary name and renamed into place, so a
// reader never sees a missing or half-made link. Hash-named symbolic links
// that no longer point at a certificate of the directory are removed (this
// is where Rehash is tidier than OpenSSL, which can leave some behind);
// regular files are never removed or replaced (a regular file that holds a
// wanted hash name is reported as an error instead). Files that cannot be used are skipped, as
// OpenSSL skips them; Rehash returns an error only for files it could not
// read and links it could not make or remove.
func Rehash(dir string) error {
	names, err := listCAPath(dir)
	if err != nil {
		return err
	}
	slices.Sort(names)

	var errs []error
	fail := func(path string, err error) {
		e := pathErr("capath", path, err)
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
		path := filepath.Join(dir, name)
		lfi, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if lfi.Mode()&fs.ModeSymlink != 0 {
			if key, id, ok := rehashLinkName(name); ok {
				target, err := os.Readlink(path)
				if err != nil {
					fail(path, err)
					continue
				}
				existing[name] = target
				bucket(key).add(target, nil, id)
				continue
			}
		} else if _, _, ok := rehashLinkName(name); ok {
			regular[name] = true
		}
		if !rehashExt(name) {
			continue
		}
		data, err := readCapped(path)
		if err != nil {
			if !errors.Is(err, errIsDir) {
				fail(path, err)
			}
			continue
		}
		key, digest, ok := rehashFile(data)
		if !ok {
			continue
		}
		bucket(key).add(name, digest, -1)
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
		if existing[name] == target {
			continue
		}
		if regular[name] {
			// Never replace a file rehash did not make (OpenSSL would).
			fail(filepath.Join(dir, name), fmt.Errorf("is a regular file with a hash name, not a link; move it aside (it would be replaced by a link to %s)", target))
			continue
		}
		if err := atomicSymlink(dir, target, name); err != nil {
			fail(filepath.Join(dir, name), err)
		}
	}
	for name := range existing {
		if _, ok := want[name]; !ok {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				fail(filepath.Join(dir, name), err)
			}
		}
	}
	return errors.Join(errs...)
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
func (b *rehashBucket) add(file string, digest []byte, oldID int) {
	var found *rehashEntry
	for _, e := range b.entries {
		if digest != nil && e.digest != nil && string(e.digest) == string(digest) {
			return
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
	if len(name) < 10 || name[8] != '.' {
		return rehashKey{}, 0, false
	}
	h, err := strconv.ParseUint(name[:8], 16, 32)
	if err != nil || strings.ContainsAny(name[:8], "+-xX_") {
		return rehashKey{}, 0, false
	}
	key := rehashKey{hash: uint32(h)}
	num := name[9:]
	if num[0] == 'r' || num[0] == 'R' {
		key.suffix = "r"
		num = num[1:]
	}
	if num == "" {
		return rehashKey{}, 0, false
	}
	id := 0
	for i := 0; i < len(num); i++ {
		c := num[i]
		if c < '0' || c > '9' {
			return rehashKey{}, 0, false
		}
		if id < 1<<24 { // saturate: such numbers are never kept anyway
			id = id*10 + int(c-'0')
		}
	}
	return key, id, true
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
			crl, err := x509.ParseRevocationList(blk.Bytes)
			if err != nil {
				return key, nil, false
			}
			crls++
			crlDER, crlName = crl.Raw, crl.RawIssuer
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

// atomicSymlink makes dir/name a symbolic link to target by creating it
// under a temporary name and renaming it into place.
func atomicSymlink(dir, target, name string) error {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+name+".tmp-"+hex.EncodeToString(rnd[:]))
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
