//go:build !linux

package capool

import "os"

func probeDirNames(dir string) (hashed bool, plain []string, err error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, nil, err
	}
	defer f.Close()
	return probeNames(f.Readdirnames)
}
