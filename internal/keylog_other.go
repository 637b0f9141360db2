//go:build !unix

package internal

import (
	"fmt"
	"io/fs"
	"os"
)

// openKeyLog opens name for appending TLS secrets. Without O_NOFOLLOW and
// Unix ownership, a symbolic link or a file that is not a regular file is
// refused by a check before opening, and the opened file is checked again.
// Ownership and access control lists are not checked on these systems.
func openKeyLog(name string) (*os.File, error) {
	if fi, err := os.Lstat(name); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%q is a symbolic link, which is not followed; name the file itself", name)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%q is not a regular file", name)
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%q is not a regular file", name)
	}
	return f, nil
}
