package capool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/tlsdefault/tlsdefault/internal/fsx"
	"github.com/tlsdefault/tlsdefault/internal/hashname"
)

// maxHashSuffix bounds the <hash>.<n> numbers probed for one hash; OpenSSL
// stops at the first missing number, and so do we, well before this.
const maxHashSuffix = 1000

// hashedName reports whether name is a hashed capath name as OpenSSL's
// by_dir lookup opens them: eight lower-case hex digits, a dot, an optional
// "r" (a CRL link) and a decimal number.
func hashedName(name string) (hash uint32, crl, ok bool) {
	n, ok := hashname.Parse(name)
	if !ok || !n.Lower {
		return 0, false, false
	}
	return n.Hash, n.CRL, true
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

// checkDir returns an error naming the capath unless dir is a directory.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return pathErr("capath", dir, err)
	}
	if !fi.IsDir() {
		return &SourceError{Source: "capath", Path: dir, Err: errors.New("is a file, not a directory (give a file as cafile)")}
	}
	return nil
}

// probeBatch is how many names are asked for at a time while looking for
// a hashed name; one read of the directory returns about that many.
const probeBatch = 128

// probeDir reads the names of a capath directory until it meets a hashed
// certificate name (<hash>.<n>), and then stops: it reports whether the
// directory has one and, when it has none, the plain certificate files
// (.pem, .crt, .cer, not starting with a dot), which it then lists in
// full. In a hashed directory that is one read of the directory, whatever
// its size, since about half the names of any hashed layout are hashed.
func probeDir(dir string) (hashed bool, plain []string, err error) {
	if err := checkDir(dir); err != nil {
		return false, nil, err
	}
	hashed, plain, err = probeDirNames(dir)
	if err != nil {
		return false, nil, pathErr("capath", dir, err)
	}
	return hashed, plain, nil
}

// probeNames is probeDir over a Readdirnames function.
func probeNames(readdirnames func(n int) ([]string, error)) (hashed bool, plain []string, err error) {
	for {
		names, err := readdirnames(probeBatch)
		for _, name := range names {
			if _, crl, ok := hashedName(name); ok && !crl {
				return true, nil, nil
			}
			if !strings.HasPrefix(name, ".") && certFileExt(name) {
				plain = append(plain, name)
			}
		}
		if err == io.EOF {
			slices.Sort(plain)
			return false, plain, nil
		}
		if err != nil {
			return false, nil, err
		}
	}
}

// loadDir opens a capath directory. A directory with hashed names is
// remembered for lookups by hash and nothing in it is read now; one
// without is read file by file, as plain certificate files.
func (b *builder) loadDir(dir string) error {
	hashed, plain, err := probeDir(dir)
	if err != nil {
		return err
	}
	if hashed {
		b.p.dirs = append(b.p.dirs, newHashDir(dir))
		b.p.sources = append(b.p.sources, fmt.Sprintf("capath %s (looked up by hash)", dir))
		return nil
	}
	var problems []error
	added := 0
	for _, name := range plain {
		path := filepath.Join(dir, name)
		data, fi, err := fsx.ReadFileInfo(path, maxSourceSize)
		if err != nil {
			if errors.Is(err, fsx.ErrIsDir) {
				continue // a directory named like a file: not recursed into
			}
			e := pathErr("capath", path, err)
			e.inDir = true
			problems = append(problems, e)
			continue
		}
		res := parseCerts(data, parseLenient)
		problems = append(problems, res.badErrors("capath", path, true)...)
		b.note("capath", path, true, res.notes)
		if len(res.certs) == 0 && len(res.bad) == 0 && len(res.notes) == 0 {
			problems = append(problems, &SourceError{Source: "capath", Path: path, Err: errors.New("no certificate found"), inDir: true})
		}
		file := &loadedFile{path: path, fi: fi}
		for _, pc := range res.certs {
			if b.add(newFileEntry(pc, "capath", file), pc.cert, true, true) {
				added++
			}
		}
	}
	if added == 0 {
		err := errors.New("no certificate found: no <hash>.<n> names and no .pem, .crt or .cer file with a certificate")
		if len(problems) > 0 {
			err = fmt.Errorf("no usable certificate found:\n%w", errors.Join(problems...))
		}
		return &SourceError{Source: "capath", Path: dir, Err: err}
	}
	b.p.problems = append(b.p.problems, problems...)
	b.p.sources = append(b.p.sources, fmt.Sprintf("capath %s (%s)", dir, plural(added, "certificate")))
	return nil
}

// hashDir is a hashed capath directory, consulted by issuer hash when a
// chain is verified. Files read are cached by path and checked on every
// lookup (device, inode, size, modification and change time), so a file
// replaced, added or removed later is seen at the next lookup.
type hashDir struct {
	path  string
	mu    sync.Mutex
	cache map[string]*cachedFile
	snap  snapshotCache // for Pool.CertPoolNow (snapshot.go)
}

type cachedFile struct {
	fi       fs.FileInfo // of the file read
	certs    []parsedCert
	problems []error
}

func newHashDir(path string) *hashDir {
	return &hashDir{path: path, cache: make(map[string]*cachedFile)}
}

// lookup returns the certificates in <hash>.0, <hash>.1, ... up to the
// first missing number, or the first file that cannot be read or holds no
// certificate, as OpenSSL's by_dir does, and the problems met.
func (d *hashDir) lookup(hash uint32) (certs []parsedCert, problems []error) {
	for n := 0; n < maxHashSuffix; n++ {
		path := filepath.Join(d.path, hashname.Format(hash, false, n))
		cf, err := d.file(path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				e := pathErr("capath", path, err)
				e.inDir = true
				problems = append(problems, e)
			}
			break
		}
		certs = append(certs, cf.certs...)
		problems = append(problems, cf.problems...)
		if len(cf.certs) == 0 {
			break // OpenSSL stops at a file it cannot load, too
		}
	}
	return certs, problems
}

// file returns the parsed contents of path (following a symbolic link),
// from the cache when the file has not changed.
func (d *hashDir) file(path string) (*cachedFile, error) {
	fi, err := os.Stat(path) // follows symlinks; loops fail with ELOOP
	d.mu.Lock()
	cf := d.cache[path]
	if err != nil {
		delete(d.cache, path) // removed: forget it
	}
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if cf != nil && fsx.Unchanged(cf.fi, fi) {
		return cf, nil
	}
	data, rfi, err := fsx.ReadFileInfo(path, maxSourceSize)
	if err != nil {
		return nil, err
	}
	cf = &cachedFile{fi: rfi}
	res := parseCerts(data, parseLenient)
	cf.certs = res.certs
	cf.problems = append(res.badErrors("capath", path, true), notesErrors(res.notes, path)...)
	if len(res.certs) == 0 && len(res.bad) == 0 && len(res.notes) == 0 {
		cf.problems = append(cf.problems, &SourceError{Source: "capath", Path: path, Err: errors.New("no certificate found"), inDir: true})
	}
	d.mu.Lock()
	d.cache[path] = cf
	d.mu.Unlock()
	return cf, nil
}

func notesErrors(notes []blockErr, path string) []error {
	var out []error
	for _, n := range notes {
		out = append(out, &SourceError{Source: "capath", Path: path, Block: n.block, Err: n.err, inDir: true})
	}
	return out
}

// list reads the directory as it is now: every certificate of every
// <hash>.<n> file, each listed once with the names that hold it and the
// file they lead to, and the problems met (files that cannot be read, and
// certificates whose subject hash is not the one of the name that holds
// them, which lookups by that name will not find).
func (d *hashDir) list() ([]Entry, []error) {
	f, err := os.Open(d.path)
	if err != nil {
		return nil, []error{pathErr("capath", d.path, err)}
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	var problems []error
	if err != nil {
		problems = append(problems, pathErr("capath", d.path, err))
	}
	slices.Sort(names)
	var out []Entry
	byDER := make(map[string]int)
	for _, name := range names {
		hash, crl, ok := hashedName(name)
		if !ok || crl {
			continue
		}
		path := filepath.Join(d.path, name)
		cf, err := d.file(path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) { // removed while listed
				e := pathErr("capath", path, err)
				e.inDir = true
				problems = append(problems, e)
			}
			continue
		}
		problems = append(problems, cf.problems...)
		target := path
		if t, err := os.Readlink(path); err == nil {
			if !filepath.IsAbs(t) {
				t = filepath.Join(d.path, t)
			}
			target = t
		}
		for _, pc := range cf.certs {
			if got := SubjectHash(pc.cert); got != hash {
				what := name
				if len(cf.certs) > 1 {
					what = fmt.Sprintf("%s block %d (%s)", name, pc.block, pc.cert.Subject)
				}
				problems = append(problems, &SourceError{Source: "capath", Path: d.path, Err: fmt.Errorf(
					"%s is named for hash %08x, but its subject hash is %08x; lookups will not find it (run 'openssl rehash' or capool.Rehash on the directory)", what, hash, got)})
			}
			if i, dup := byDER[string(pc.cert.Raw)]; dup {
				out[i].Links = append(out[i].Links, name)
				if _, hashedFile := hashname.Parse(filepath.Base(out[i].Path)); hashedFile && target != path {
					// Name the file a link leads to rather than a
					// hashed copy of it.
					out[i].Path, out[i].Block = target, pc.block
				}
				continue
			}
			byDER[string(pc.cert.Raw)] = len(out)
			out = append(out, Entry{Cert: pc.cert, Source: "capath", Path: target, Block: pc.block, Links: []string{name}})
		}
	}
	return out, problems
}
