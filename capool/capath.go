package capool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxHashSuffix bounds the <hash>.<n> numbers probed for one hash; OpenSSL
// stops at the first missing number, and so do we, well before this.
const maxHashSuffix = 1000

// hashedName reports whether name is a hashed capath name: eight lower-case
// hex digits, a dot, an optional "r" (a CRL link) and a decimal number, as
// OpenSSL's by_dir lookup and `openssl rehash` write them.
func hashedName(name string) (hash uint32, crl, ok bool) {
	if len(name) < 10 || name[8] != '.' {
		return 0, false, false
	}
	for i := 0; i < 8; i++ {
		c := name[i]
		switch {
		case '0' <= c && c <= '9':
			hash = hash<<4 | uint32(c-'0')
		case 'a' <= c && c <= 'f':
			hash = hash<<4 | uint32(c-'a'+10)
		default:
			return 0, false, false
		}
	}
	num := name[9:]
	if num[0] == 'r' {
		crl = true
		num = num[1:]
	}
	if num == "" {
		return 0, false, false
	}
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return 0, false, false
		}
	}
	return hash, crl, true
}

// certFileExt reports whether name has one of the extensions of plain
// certificate files read from a capath directory.
func certFileExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pem", ".crt", ".cer":
		return true
	}
	return false
}

// listCAPath returns the names in a capath directory, with errors that
// name it (a file given as capath, a missing or unreadable directory).
func listCAPath(dir string) ([]string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, pathErr("capath", dir, err)
	}
	if !fi.IsDir() {
		return nil, &SourceError{Source: "capath", Path: dir, Err: errors.New("is a file, not a directory (give a file as cafile)")}
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, pathErr("capath", dir, err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, pathErr("capath", dir, err)
	}
	return names, nil
}

// loadDir reads a capath directory: it lists the names (no file is opened
// for hashed names), reads the plain certificate files, and remembers the
// directory for lookups by hash if it has hashed names.
func (b *builder) loadDir(dir string) error {
	names, err := listCAPath(dir)
	if err != nil {
		return err
	}
	hashed := 0
	var plain []string
	for _, name := range names {
		if strings.HasPrefix(name, ".") {
			continue // ., .., Kubernetes' ..data and friends
		}
		if _, crl, ok := hashedName(name); ok {
			if !crl {
				hashed++
			}
			continue
		}
		if certFileExt(name) {
			plain = append(plain, name)
		}
	}
	slices.Sort(plain)
	var problems []error
	added := 0
	for _, name := range plain {
		path := filepath.Join(dir, name)
		data, err := readCapped(path)
		if err != nil {
			if errors.Is(err, errIsDir) {
				continue // a directory named like a file: not recursed into
			}
			e := pathErr("capath", path, err)
			e.inDir = true
			problems = append(problems, e)
			continue
		}
		res := parseCerts(data, false)
		for _, bad := range res.bad {
			problems = append(problems, &SourceError{Source: "capath", Path: path, Block: bad.block, Err: bad.err, inDir: true})
		}
		b.note("capath", path, true, res.notes)
		if len(res.certs) == 0 && len(res.bad) == 0 && len(res.notes) == 0 {
			problems = append(problems, &SourceError{Source: "capath", Path: path, Err: errors.New("no certificate found"), inDir: true})
		}
		for _, pc := range res.certs {
			if b.add(entry{Entry{pc.cert, "capath", path, pc.block}, pc.constraint, pc.trust}, true, true) {
				added++
			}
		}
	}
	if hashed == 0 && added == 0 {
		err := errors.New("no certificate found: no <hash>.<n> names and no .pem, .crt or .cer file with a certificate")
		if len(problems) > 0 {
			err = fmt.Errorf("no usable certificate found:\n%w", errors.Join(problems...))
		}
		return &SourceError{Source: "capath", Path: dir, Err: err}
	}
	b.p.problems = append(b.p.problems, problems...)
	var desc string
	switch {
	case hashed > 0 && added > 0:
		desc = fmt.Sprintf("capath %s (looked up by hash, and %s from plain files)", dir, plural(added, "certificate"))
		b.p.dirs = append(b.p.dirs, newHashDir(dir))
	case hashed > 0:
		desc = fmt.Sprintf("capath %s (looked up by hash)", dir)
		b.p.dirs = append(b.p.dirs, newHashDir(dir))
	default:
		desc = fmt.Sprintf("capath %s (%s)", dir, plural(added, "certificate"))
	}
	b.p.sources = append(b.p.sources, desc)
	return nil
}

// hashDir is a hashed capath directory, consulted by issuer hash when a
// chain is verified. Files read are cached by path, size and modification
// time, so a file replaced or added later is picked up on the next lookup.
type hashDir struct {
	path  string
	mu    sync.Mutex
	cache map[string]*cachedFile
	snap  snapshotCache // for Pool.CertPoolNow (snapshot.go)
}

type cachedFile struct {
	size     int64
	mtime    time.Time
	certs    []parsedCert
	problems []error
}

func newHashDir(path string) *hashDir {
	return &hashDir{path: path, cache: make(map[string]*cachedFile)}
}

// lookup returns the certificates in <hash>.0, <hash>.1, ... up to the
// first missing number, as OpenSSL's by_dir does, and the problems met.
func (d *hashDir) lookup(hash uint32) (certs []parsedCert, problems []error) {
	for n := 0; n < maxHashSuffix; n++ {
		path := filepath.Join(d.path, fmt.Sprintf("%08x.%d", hash, n))
		fi, err := os.Stat(path) // follows symlinks; loops fail with ELOOP
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			e := pathErr("capath", path, err)
			e.inDir = true
			problems = append(problems, e)
			continue
		}
		if !fi.Mode().IsRegular() {
			problems = append(problems, &SourceError{Source: "capath", Path: path, Err: errors.New("not a regular file"), inDir: true})
			continue
		}
		cf := d.file(path, fi)
		certs = append(certs, cf.certs...)
		problems = append(problems, cf.problems...)
	}
	return certs, problems
}

// file returns the parsed contents of path, from the cache when the size
// and modification time have not changed.
func (d *hashDir) file(path string, fi fs.FileInfo) *cachedFile {
	d.mu.Lock()
	cf := d.cache[path]
	d.mu.Unlock()
	if cf != nil && cf.size == fi.Size() && cf.mtime.Equal(fi.ModTime()) {
		return cf
	}
	cf = &cachedFile{size: fi.Size(), mtime: fi.ModTime()}
	data, err := readCapped(path)
	if err != nil {
		e := pathErr("capath", path, err)
		e.inDir = true
		cf.problems = append(cf.problems, e)
	} else {
		res := parseCerts(data, false)
		cf.certs = res.certs
		for _, bad := range append(res.bad, res.notes...) {
			cf.problems = append(cf.problems, &SourceError{Source: "capath", Path: path, Block: bad.block, Err: bad.err, inDir: true})
		}
		if len(res.certs) == 0 && len(res.bad) == 0 && len(res.notes) == 0 {
			cf.problems = append(cf.problems, &SourceError{Source: "capath", Path: path, Err: errors.New("no certificate found"), inDir: true})
		}
	}
	d.mu.Lock()
	d.cache[path] = cf
	d.mu.Unlock()
	return cf
}
