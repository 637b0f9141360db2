//go:build darwin || freebsd || netbsd

package fsx

import "syscall"

func ctime(s *syscall.Stat_t) [2]int64 {
	return [2]int64{int64(s.Ctimespec.Sec), int64(s.Ctimespec.Nsec)}
}
