//go:build unix

package bench

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time the whole process has
// used so far: the benchmark's goroutines, the servers' goroutines and the
// garbage collector alike.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
