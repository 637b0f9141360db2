package fsx

import (
	"io"
	"io/fs"
	"syscall"
)

// DirNames returns a function that reads the names of the directory in
// batches (io.EOF after the last), and a function that closes it; it is
// shared by capool (is a capath hashed?) and filewatch (a watched directory). On Linux the first read asks for 1 KiB (some thirty names), not
// os.File's 8 KiB: on a large directory (a hashed capath of 10,000 CAs)
// that first read costs several times less, and a directory with hashed
// names needs no other; later reads ask for 8 KiB.
func DirNames(path string) (next func() ([]string, error), done func(), err error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	buf := make([]byte, 1024)
	next = func() ([]string, error) {
		for {
			n, err := syscall.ReadDirent(fd, buf)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				return nil, err
			}
			if n <= 0 {
				return nil, io.EOF
			}
			_, _, names := syscall.ParseDirent(buf[:n], -1, nil)
			if len(buf) < 8192 {
				buf = make([]byte, 8192)
			}
			if len(names) > 0 {
				return names, nil
			}
		}
	}
	return next, func() { syscall.Close(fd) }, nil
}
