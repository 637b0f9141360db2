//go:build linux || openbsd || solaris || dragonfly

package fsx

import "syscall"

func ctime(s *syscall.Stat_t) [2]int64 { return [2]int64{int64(s.Ctim.Sec), int64(s.Ctim.Nsec)} }
