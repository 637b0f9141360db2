//go:build aix || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package capool

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/tlsdefault/tlsdefault/internal/fsx"
)

// On these systems crypto/x509 builds the system store from files (its
// root_unix.go): SSL_CERT_FILE or the first of systemCertFiles that can be
// read, then every file of SSL_CERT_DIR (colon-separated) or of
// systemCertDirs, except symbolic links within the same directory.

func certDirs() []string {
	if runtime.GOOS == "android" {
		return append(systemCertDirs[:len(systemCertDirs):len(systemCertDirs)],
			"/system/etc/security/cacerts", "/data/misc/keychain/certs-added")
	}
	return systemCertDirs
}

// listSystemRoots lists the system roots by reading the files crypto/x509
// reads, honouring SSL_CERT_FILE and SSL_CERT_DIR, and reading only what
// AppendCertsFromPEM accepts, so that the listing matches the pool.
func listSystemRoots() ([]entry, []error) {
	files := systemCertFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	dirs := certDirs()
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = strings.Split(d, ":")
	}
	return listRootFiles(files, dirs)
}

// setSystemEnv returns the name of SSL_CERT_FILE or SSL_CERT_DIR if either
// is set.
func setSystemEnv() string {
	for _, v := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if os.Getenv(v) != "" {
			return v
		}
	}
	return ""
}

// checkSystemEnv returns an error naming SSL_CERT_FILE or SSL_CERT_DIR
// when one is set and yields nothing usable: a file that is missing,
// unreadable or without a certificate crypto/x509 reads; a directory that
// is missing or unreadable; directories that hold no such certificate
// while SSL_CERT_FILE gives none either (an empty SSL_CERT_DIR beside a
// good SSL_CERT_FILE is a way to say "this bundle only"). It stops at the
// first certificate found, so a good setting costs a read of one file.
func checkSystemEnv() error {
	fileOK := false
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		ok, err := fileHasGoCert(f)
		if err != nil {
			return envErr("SSL_CERT_FILE", f, unwrapPath(err))
		}
		if !ok {
			return envErr("SSL_CERT_FILE", f, errors.New("holds no PEM certificate crypto/x509 can read"))
		}
		fileOK = true
	}
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		found := false
		for _, dir := range strings.Split(d, ":") {
			if dir == "" {
				continue
			}
			names, err := dirNames(dir, !found && !fileOK)
			if err != nil {
				return envErr("SSL_CERT_DIR", dir, unwrapPath(err))
			}
			for _, name := range names {
				if found || fileOK {
					break
				}
				if ok, _ := fileHasGoCert(filepath.Join(dir, name)); ok {
					found = true
				}
			}
		}
		if !found && !fileOK {
			return envErr("SSL_CERT_DIR", d, errors.New("no file there holds a PEM certificate crypto/x509 can read"))
		}
	}
	return nil
}

// dirNames checks that dir is a directory this process may read and,
// with all set, returns its names (sorted); otherwise it reads none.
func dirNames(dir string, all bool) ([]string, error) {
	if !all {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			return nil, syscall.ENOTDIR
		}
		// R_OK|X_OK: listable and searchable.
		return nil, syscall.Access(dir, 0x4|0x1)
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	slices.Sort(names)
	return names, err
}

// checkHead is how much of a file fileHasGoCert reads first: a bundle's
// first certificate is within it, so a good setting costs that much.
const checkHead = 16 << 10

// fileHasGoCert reports whether the file holds a certificate
// AppendCertsFromPEM would add, reading the whole file only when its first
// checkHead bytes hold none.
func fileHasGoCert(path string) (bool, error) {
	head, fi, err := fsx.ReadFileHead(path, checkHead)
	if err != nil {
		return false, err
	}
	if hasGoCert(head) {
		return true, nil
	}
	if fi.Size() <= int64(len(head)) {
		return false, nil
	}
	data, err := fsx.ReadFile(path, maxSourceSize)
	if err != nil {
		return false, err
	}
	return hasGoCert(data), nil
}

func envErr(v, path string, err error) error {
	return &SourceError{Source: "system", Path: path, Err: fmt.Errorf("set by %s: %w; fix %s or unset it", v, err, v)}
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// hasGoCert reports whether data holds a certificate AppendCertsFromPEM
// would add: a CERTIFICATE block without headers that parses. It stops at
// the first.
func hasGoCert(data []byte) bool {
	for len(data) > 0 {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			return false
		}
		if blk.Type != pemCertificate || len(blk.Headers) != 0 {
			continue
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err == nil {
			return true
		}
	}
	return false
}

// listRootFiles reads the first readable file of files, then every file in
// each directory of dirs except symbolic links that point inside the same
// directory (the hashed links), as crypto/x509 does. Bad roots are skipped
// and reported; duplicates are dropped silently.
func listRootFiles(files, dirs []string) ([]entry, []error) {
	var (
		entries  []entry
		problems []error
		seen     = make(map[string]bool)
	)
	read := func(path string) bool {
		data, err := readCapped(path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fsx.ErrIsDir) {
				problems = append(problems, pathErr("system", path, err))
			}
			return false
		}
		res := parseCerts(data, parseGoCompat)
		problems = append(problems, res.badErrors("system", path, false)...)
		for _, pc := range res.certs {
			if !seen[string(pc.cert.Raw)] {
				seen[string(pc.cert.Raw)] = true
				entries = append(entries, newEntry(pc, "system", path))
			}
		}
		return true
	}
	for _, f := range files {
		if read(f) {
			break
		}
	}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		des, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				problems = append(problems, pathErr("system", dir, err))
			}
			continue
		}
		for _, de := range des {
			path := dir + "/" + de.Name()
			if de.Type()&fs.ModeSymlink != 0 {
				if target, err := os.Readlink(path); err == nil && !strings.Contains(target, "/") {
					continue // a link within the directory: already read
				}
			}
			read(path)
		}
	}
	return entries, problems
}
