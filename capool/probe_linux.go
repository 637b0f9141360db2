package capool

import (
	"io"
	"syscall"
)

// probeDir's reads on Linux: a first getdents of 1 KiB (some thirty
// names) rather than os.File's 8 KiB, which on a large directory costs
// several times as much; later reads, needed only for a directory without
// hashed names, use 8 KiB.
func probeDirNames(dir string) (hashed bool, plain []string, err error) {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false, nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 1024)
	return probeNames(func(int) ([]string, error) {
		for {
			n, err := syscall.ReadDirent(fd, buf)
			if err != nil {
				if err == syscall.EINTR {
					continue
				}
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
	})
}
