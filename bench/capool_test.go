package bench

import (
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"testing"

	rootcerts "github.com/hashicorp/go-rootcerts"

	"github.com/tlsdefault/tlsdefault/bench/internal/benchpki"
	"github.com/tlsdefault/tlsdefault/capool"
)

const implGoRootcerts = "gorootcerts"

// Generated CA directories and bundles, made once per process under
// scratchDir and shared by the benchmarks.
var (
	genMu   sync.Mutex
	genDirs = map[string]string{}
)

func generated(tb testing.TB, kind string, n int) (string, *benchpki.CASet) {
	tb.Helper()
	set, err := benchpki.CAs(n)
	if err != nil {
		tb.Fatal(err)
	}
	genMu.Lock()
	defer genMu.Unlock()
	key := fmt.Sprintf("%s-%d", kind, n)
	if p, ok := genDirs[key]; ok {
		return p, set
	}
	var p string
	switch kind {
	case "capath":
		p, err = set.HashedDir(scratchDir, n)
	case "bundle":
		p, err = set.Bundle(scratchDir, n)
	}
	if err != nil {
		tb.Fatal(err)
	}
	genDirs[key] = p
	return p, set
}

// peakHeap runs op a few times outside the timed loop and reports the
// largest heap growth seen (peak-heap-B), and the heap kept alive by the
// value op returns (retained-B).
func peakHeap(b *testing.B, op func() (any, error)) {
	b.Helper()
	b.StopTimer()
	h := startHeap()
	for range 3 {
		if _, err := op(); err != nil {
			b.Fatal(err)
		}
	}
	h.report(b)
	kept := retained(func() any {
		v, err := op()
		if err != nil {
			b.Fatal(err)
		}
		return v
	})
	b.ReportMetric(float64(kept), "retained-B")
}

// BenchmarkP4CAPath measures opening a hashed CA directory (one regular PEM
// file per CA, named <subject hash>.0) of 100, 1,000 and 10,000 CAs and
// verifying one chain whose root is in it: capool.Load plus Pool.Verify
// (lazy: it lists the directory and reads the one file the chain needs)
// beside go-rootcerts' LoadCAPath (reads and parses every file) plus
// x509.Certificate.Verify.
func BenchmarkP4CAPath(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		for _, impl := range []string{implGoRootcerts, "capool"} {
			b.Run(fmt.Sprintf("n=%d/impl=%s", n, impl), func(b *testing.B) {
				dir, set := generated(b, "capath", n)
				leaf := set.Leaf
				var op func() (any, error)
				switch impl {
				case "capool":
					op = func() (any, error) {
						pool, err := capool.Load(capool.Sources{CAPath: dir})
						if err != nil {
							return nil, err
						}
						_, err = pool.Verify(leaf, nil, x509.VerifyOptions{
							DNSName:   "localhost",
							KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
						})
						return pool, err
					}
				case implGoRootcerts:
					op = func() (any, error) {
						pool, err := rootcerts.LoadCAPath(dir)
						if err != nil {
							return nil, err
						}
						_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"})
						return pool, err
					}
				}
				if _, err := op(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU(b)
				for i := 0; i < b.N; i++ {
					if _, err := op(); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
				peakHeap(b, op)
			})
		}
	}
}

// BenchmarkP4SystemCAPath measures capool.Load of the system's CA
// directory (/etc/ssl/certs), for context: on Debian it holds hashed links,
// a .pem link per CA and the ca-certificates.crt bundle, and capool reads
// the plain .pem and .crt files at once (go-rootcerts' LoadCAPath fails on
// the directory, which holds a java/cacerts keystore).
func BenchmarkP4SystemCAPath(b *testing.B) {
	const dir = "/etc/ssl/certs"
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		b.Skip("no " + dir)
	}
	op := func() (any, error) { return capool.Load(capool.Sources{CAPath: dir}) }
	if _, err := op(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		if _, err := op(); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	peakHeap(b, op)
}

// systemBundle is the system's CA bundle, or a generated bundle of 150 CAs
// where there is none.
func systemBundle(tb testing.TB) string {
	for _, f := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"} {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			return f
		}
	}
	p, _ := generated(tb, "bundle", 150)
	return p
}

// BenchmarkP5CAFile measures loading a CA bundle: capool.Load (which keeps
// the file, block number and source of each certificate) beside reading the
// file and x509.CertPool.AppendCertsFromPEM, for the system's bundle and a
// generated bundle of 10,000 CAs. impl=capool+certpool also builds the
// pool's *x509.CertPool (as a client's construction does), so that its
// retained-B is what a pool in use keeps.
func BenchmarkP5CAFile(b *testing.B) {
	for _, bundle := range []string{"system", "10000"} {
		for _, impl := range []string{implStdlib, "capool", "capool+certpool"} {
			b.Run("bundle="+bundle+"/impl="+impl, func(b *testing.B) {
				var path string
				if bundle == "system" {
					path = systemBundle(b)
				} else {
					path, _ = generated(b, "bundle", 10000)
				}
				var op func() (any, error)
				switch impl {
				case "capool":
					op = func() (any, error) {
						return capool.Load(capool.Sources{CAFile: path})
					}
				case "capool+certpool":
					op = func() (any, error) {
						p, err := capool.Load(capool.Sources{CAFile: path})
						if err == nil {
							p.CertPool()
						}
						return p, err
					}
				case implStdlib:
					op = func() (any, error) {
						data, err := os.ReadFile(path)
						if err != nil {
							return nil, err
						}
						pool := x509.NewCertPool()
						if !pool.AppendCertsFromPEM(data) {
							return nil, fmt.Errorf("%s: no certificates", path)
						}
						return pool, nil
					}
				}
				if _, err := op(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU(b)
				for i := 0; i < b.N; i++ {
					if _, err := op(); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
				peakHeap(b, op)
			})
		}
	}
}
