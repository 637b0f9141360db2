//go:build !unix

package bench

import "time"

// processCPU is not measured outside Unix; the cpu-ns/op metric is then 0.
func processCPU() time.Duration { return 0 }
