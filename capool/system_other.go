//go:build !(aix || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package capool

// systemListable reports whether the system store can be listed here: on
// macOS and Windows the platform verifier holds the roots; on other
// systems crypto/x509 has no store of files to read.
const systemListable = false

// listSystemRoots lists nothing here: see systemListable.
func listSystemRoots() ([]entry, []error) { return nil, nil }

// checkSystemEnv checks nothing here: crypto/x509 does not read
// SSL_CERT_FILE or SSL_CERT_DIR.
func checkSystemEnv() error { return nil }

func setSystemEnv() string { return "" }
