//go:build !linux

package capool

// listSystemRoots lists nothing outside Linux. On macOS and Windows the
// platform verifier holds the roots and they cannot be listed; on the BSDs
// and other systems the store is still used for verification through
// x509.SystemCertPool, only not listed.
func listSystemRoots() ([]entry, []error) { return nil, nil }
