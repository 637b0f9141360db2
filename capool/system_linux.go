package capool

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// The files crypto/x509 reads on Linux (root_linux.go), in its order.
var (
	systemCertFiles = []string{
		"/etc/ssl/certs/ca-certificates.crt",                // Debian/Ubuntu/Gentoo etc.
		"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora/RHEL 6
		"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
		"/etc/pki/tls/cacert.pem",                           // OpenELEC
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS/RHEL 7
		"/etc/ssl/cert.pem",                                 // Alpine Linux
	}
	systemCertDirs = []string{
		"/etc/ssl/certs",     // SLES10/SLES11
		"/etc/pki/tls/certs", // Fedora/RHEL
	}
)

// listSystemRoots lists the system roots by reading the files crypto/x509
// reads, honouring SSL_CERT_FILE and SSL_CERT_DIR, and reading only what
// AppendCertsFromPEM accepts, so that the listing matches the pool.
func listSystemRoots() ([]entry, []error) {
	files := systemCertFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	dirs := systemCertDirs
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = strings.Split(d, ":")
	}
	return listRootFiles(files, dirs)
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
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errIsDir) {
				problems = append(problems, pathErr("system", path, err))
			}
			return false
		}
		res := parseCerts(data, true)
		for _, bad := range res.bad {
			problems = append(problems, &SourceError{Source: "system", Path: path, Block: bad.block, Err: bad.err})
		}
		for _, pc := range res.certs {
			if !seen[string(pc.cert.Raw)] {
				seen[string(pc.cert.Raw)] = true
				entries = append(entries, entry{Entry{pc.cert, "system", path, pc.block}, nil, nil})
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
