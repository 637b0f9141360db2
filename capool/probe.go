package capool

import "github.com/tlsdefault/tlsdefault/internal/fsx"

// probeDirNames reads the names of dir in batches (on Linux a first read of
// 1 KiB, some thirty names, which is all a hashed directory needs) and
// stops at the first hashed name.
func probeDirNames(dir string) (hashed bool, plain []string, err error) {
	next, done, err := fsx.DirNames(dir)
	if err != nil {
		return false, nil, err
	}
	defer done()
	return probeNames(func(int) ([]string, error) { return next() })
}
