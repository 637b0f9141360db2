package bench

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// cpuMeter measures the process's CPU time (user + system, from getrusage)
// over a benchmark loop. Start it right before the loop and call report
// right after: it adds the cpu-ns/op metric.
type cpuMeter struct{ start time.Duration }

func startCPU(b *testing.B) *cpuMeter {
	b.Helper()
	return &cpuMeter{start: processCPU()}
}

func (m *cpuMeter) report(b *testing.B) {
	b.Helper()
	used := processCPU() - m.start
	if b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// heapSampler records the largest heap (bytes in live and not yet swept
// objects, runtime/metrics /memory/classes/heap/objects:bytes) seen while it
// runs, sampling every 200 µs, above the heap measured after a GC at start.
type heapSampler struct {
	base uint64
	peak uint64
	stop chan struct{}
	done sync.WaitGroup
}

const heapObjects = "/memory/classes/heap/objects:bytes"

func readHeap(s []metrics.Sample) uint64 {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func startHeap() *heapSampler {
	runtime.GC()
	h := &heapSampler{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: heapObjects}}
	h.base = readHeap(s)
	h.peak = h.base
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		s := []metrics.Sample{{Name: heapObjects}}
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			if v := readHeap(s); v > h.peak {
				h.peak = v
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// report stops the sampler and adds the peak-heap-B metric: the highest heap
// seen during the loop above the heap before it. It is a sample, so short
// peaks can be missed; with many iterations the loop's steady peak shows.
func (h *heapSampler) report(b *testing.B) {
	b.Helper()
	close(h.stop)
	h.done.Wait()
	s := []metrics.Sample{{Name: heapObjects}}
	if v := readHeap(s); v > h.peak {
		h.peak = v
	}
	b.ReportMetric(float64(h.peak-h.base), "peak-heap-B")
}

// retained measures the live heap that the value made by f keeps: the heap
// after a GC with the value alive, minus the heap after a GC before f ran.
func retained(f func() any) uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	runtime.GC()
	before := readHeap(s)
	v := f()
	runtime.GC()
	after := readHeap(s)
	runtime.KeepAlive(v)
	if after < before {
		return 0
	}
	return after - before
}
