// Package bench holds the benchmarks behind BENCHMARKS.md: tlsdefault beside
// the standard library, go-cleanhttp, go-rootcerts and the raw crypto
// operations of a handshake. It is a module of its own so that users of
// tlsdefault never download the comparison dependencies. Run it with
// run.sh; it holds no tests, only benchmarks.
package bench

import (
	"fmt"
	"os"
	"testing"
)

// scratchDir holds the generated CA directories and bundles of this run.
var scratchDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tlsdefault-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratchDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
