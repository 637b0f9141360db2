//go:build !linux

package fsx

import (
	"io"
	"os"
)

// DirNames returns a function that reads the names of the directory in
// batches (io.EOF after the last), and a function that closes it; it is
// shared by capool (is a capath hashed?) and filewatch (a watched directory).
func DirNames(path string) (next func() ([]string, error), done func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err // an *fs.PathError
	}
	next = func() ([]string, error) {
		names, err := f.Readdirnames(32)
		if err == nil && len(names) == 0 {
			return nil, io.EOF
		}
		return names, err
	}
	return next, func() { f.Close() }, nil
}
