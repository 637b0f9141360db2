//go:build !(aix || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package capool

// listSystemRoots lists nothing here: on macOS and Windows the platform
// verifier holds the roots; other systems have no store of files.
func listSystemRoots() ([]entry, []error) { return nil, nil }

// checkSystemEnv checks nothing here: crypto/x509 does not read
// SSL_CERT_FILE or SSL_CERT_DIR.
func checkSystemEnv() error { return nil }

func setSystemEnv() string { return "" }
