//go:build unix

package fsx

import (
	"io/fs"
	"syscall"
)

const nonblock = syscall.O_NONBLOCK

func sameCtime(a, b fs.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return ok1 == ok2
	}
	return ctime(sa) == ctime(sb)
}
