//go:build !linux

package filewatch

import (
	"io"
	"os"
)

// dirNames returns a function that reads the names of the directory in
// batches.
func dirNames(path string) (next func() ([]string, error), done func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
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
