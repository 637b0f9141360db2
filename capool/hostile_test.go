package capool

import (
	"bytes"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostilePEMMemory (issue 11 item 17): input made only of BEGIN lines
// costs a small multiple of its size; a strict load stops at the first bad
// block, and a lenient one describes a bounded number of them.
func TestHostilePEMMemory(t *testing.T) {
	size := 16 << 20
	if testing.Short() {
		size = 4 << 20
	}
	line := []byte("-----BEGIN CERTIFICATE-----\n")
	data := bytes.Repeat(line, size/len(line))
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "hostile.pem"), data)

	var err error
	n := allocated(func() { _, err = Load(Sources{CAFile: file}) })
	wantSourceError(t, err, "cafile", file, 1, "no END line")
	if limit := uint64(3 * len(data)); n > limit {
		t.Errorf("strict cafile load allocated %d bytes for %d of input; want at most %d", n, len(data), limit)
	}
	n = allocated(func() { _, err = ParseCAData(data) })
	if err == nil || !strings.Contains(err.Error(), "block 1:") {
		t.Errorf("ParseCAData: %v", err)
	}
	if limit := uint64(2 * len(data)); n > limit {
		t.Errorf("ParseCAData allocated %d bytes for %d of input; want at most %d", n, len(data), limit)
	}

	// Lenient: a plain capath file next to a good one.
	ca := newCA(t, "Hostile Neighbour")
	writeFile(t, filepath.Join(dir, "good.pem"), pemOf(ca.cert))
	var p *Pool
	n = allocated(func() { p, err = Load(Sources{CAPath: dir}) })
	if err != nil {
		t.Fatal(err)
	}
	probs := p.Problems()
	if len(probs) > maxBadBlocks+1 || !strings.Contains(probs[len(probs)-1].Error(), "more blocks that are not usable certificates") {
		t.Errorf("%d problems; want at most %d and a count of the rest: last %v", len(probs), maxBadBlocks+1, probs[len(probs)-1])
	}
	if limit := uint64(4 * len(data)); n > limit {
		t.Errorf("lenient capath load allocated %d bytes for %d of input; want at most %d", n, len(data), limit)
	}
	if p.Len() != 1 {
		t.Errorf("Len = %d, want the good certificate", p.Len())
	}
	t.Logf("%d bytes of BEGIN lines: lenient load allocated %d bytes, %d problems", len(data), n, len(probs))
}
