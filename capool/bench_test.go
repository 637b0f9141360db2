package capool

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadCAPathHashed measures what a client pays to open a hashed
// capath directory and verify its first chain: Load (a directory listing)
// plus one Verify (a few stat calls and one file parsed). It should stay
// flat as the directory grows.
func BenchmarkLoadCAPathHashed(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("CAs=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "hashed"), 0o755); err != nil {
				b.Fatal(err)
			}
			var last *testCA
			for i := range n {
				last = newCA(b, fmt.Sprintf("Bench CA %d", i))
				name := fmt.Sprintf("ca%05d.pem", i)
				writeFile(b, filepath.Join(dir, "files", name), pemOf(last.cert))
				for k := 0; ; k++ { // the next free number, as for a collision
					link := filepath.Join(dir, "hashed", fmt.Sprintf("%08x.%d", SubjectHash(last.cert), k))
					err := os.Symlink(filepath.Join("..", "files", name), link)
					if err == nil {
						break
					}
					if !os.IsExist(err) {
						b.Fatal(err)
					}
				}
			}
			leaf := last.issue(b, "bench.example", false)
			opts := x509.VerifyOptions{DNSName: "bench.example"}
			hashed := filepath.Join(dir, "hashed")
			b.ReportAllocs()
			for b.Loop() {
				p, err := Load(Sources{CAPath: hashed})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Verify(leaf.cert, nil, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyCached measures a repeated verification through a hashed
// directory once its file is cached.
func BenchmarkVerifyCached(b *testing.B) {
	ca := newCA(b, "Cached CA")
	dir := b.TempDir()
	hashedDir(b, dir, ca)
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		b.Fatal(err)
	}
	leaf := ca.issue(b, "cached.example", false)
	opts := x509.VerifyOptions{DNSName: "cached.example"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Verify(leaf.cert, nil, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadCAFile measures loading a PEM bundle of n CAs, eagerly
// parsed, as Debian's ca-certificates.crt (about 150) is.
func BenchmarkLoadCAFile(b *testing.B) {
	for _, n := range []int{150, 1000} {
		b.Run(fmt.Sprintf("CAs=%d", n), func(b *testing.B) {
			var data []byte
			for i := range n {
				data = append(data, pemOf(newCA(b, fmt.Sprintf("Bundle CA %d", i)).cert)...)
			}
			path := writeFile(b, filepath.Join(b.TempDir(), "bundle.pem"), data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := Load(Sources{CAFile: path})
				if err != nil {
					b.Fatal(err)
				}
				if p.Len() != n {
					b.Fatalf("Len = %d", p.Len())
				}
			}
		})
	}
}

// BenchmarkSystem measures System as a default client calls it, with
// whatever SSL_CERT_FILE and SSL_CERT_DIR the environment sets (each set
// variable is checked for a usable certificate).
func BenchmarkSystem(b *testing.B) {
	if _, err := System(); err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := System(); err != nil {
			b.Fatal(err)
		}
	}
}
