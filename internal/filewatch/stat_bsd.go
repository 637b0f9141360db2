//go:build darwin || freebsd || netbsd

package filewatch

import (
	"io/fs"
	"syscall"
)

func sysStat(fi fs.FileInfo) (dev, ino uint64, ctime int64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return uint64(st.Dev), uint64(st.Ino), st.Ctimespec.Nano()
}
