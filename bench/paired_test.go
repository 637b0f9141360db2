package bench

import (
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/bench/internal/benchpki"
	"github.com/tlsdefault/tlsdefault/capool"
)

// The benchmarks of this file measure the implementations of a target in
// turn within every iteration (rotating which goes first), each operation
// timed on its own, wall clock and process CPU. On a machine shared with
// other work, a burst of load then hits every implementation alike, and the
// ratio of the sums is far steadier than the ratio of two benchmarks run a
// second apart. They report, per implementation, NAME-ns/op and
// NAME-cpu-ns/op (the ns/op column is the sum of all), and each ratio the
// target is about. B/op and allocs/op are those of all implementations
// together: see the per-implementation benchmarks for them.

type pairOp struct {
	name string
	fn   func() error
}

// ratio names a figure A/B to report, from the CPU or the wall clock.
type ratio struct {
	a, b string
	cpu  bool
}

func runPaired(b *testing.B, ops []pairOp, ratios []ratio) {
	b.Helper()
	for _, o := range ops { // warm up, and check
		if err := o.fn(); err != nil {
			b.Fatalf("%s: %v", o.name, err)
		}
	}
	wall := make(map[string]time.Duration, len(ops))
	cpu := make(map[string]time.Duration, len(ops))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range ops {
			o := ops[(k+i)%len(ops)]
			t0, c0 := time.Now(), processCPU()
			if err := o.fn(); err != nil {
				b.Fatalf("%s: %v", o.name, err)
			}
			cpu[o.name] += processCPU() - c0
			wall[o.name] += time.Since(t0)
		}
	}
	b.StopTimer()
	for _, o := range ops {
		b.ReportMetric(float64(wall[o.name].Nanoseconds())/float64(b.N), o.name+"-ns/op")
		b.ReportMetric(float64(cpu[o.name].Nanoseconds())/float64(b.N), o.name+"-cpu-ns/op")
	}
	for _, r := range ratios {
		m, unit := wall, "time"
		if r.cpu {
			m, unit = cpu, "cpu"
		}
		if m[r.b] > 0 {
			b.ReportMetric(float64(m[r.a])/float64(m[r.b]), r.a+"/"+r.b+"-"+unit)
		}
	}
}

// BenchmarkPaired holds the paired versions of P1, P2, P3, P5 and P6 (P4's
// margins are wide enough without).
func BenchmarkPaired(b *testing.B) {
	b.Run("P1", pairedP1)
	b.Run("P2", pairedP2)
	b.Run("P3", pairedP3)
	b.Run("P5", pairedP5)
	b.Run("P6", pairedP6)
}

// pairedP1: one full handshake through tlsdefault, one through the stdlib,
// and one floor operation per iteration.
func pairedP1(b *testing.B) {
	for _, keyType := range []string{benchpki.ECDSA, benchpki.RSA} {
		for _, kex := range []string{kexHybrid, kexX25519} {
			b.Run("cert="+keyType+"/kex="+kex, func(b *testing.B) {
				p := benchpki.Get(keyType)
				ours := startOurServer(b, p.TLSCert)
				defer ours.Close()
				std := startStdServer(b, stdServerConfig(p))
				defer std.Close()
				oursCfg := clientConfig(b, implOurs, p, kex)
				stdCfg := clientConfig(b, implStdlib, p, kex)
				runPaired(b, []pairOp{
					{implOurs, func() error { return handshake(ours.Addr, oursCfg) }},
					{implStdlib, func() error { return handshake(std.Addr, stdCfg) }},
					{implFloor, func() error { return floorOp(p, kex) }},
				}, []ratio{
					{implOurs, implStdlib, true},
					{implOurs, implFloor, true},
					{implStdlib, implFloor, true},
				})
			})
		}
	}
}

// pairedP2: a request on a new connection to a visited host, per client.
func pairedP2(b *testing.B) {
	for _, keyType := range []string{benchpki.ECDSA, benchpki.RSA} {
		b.Run("cert="+keyType, func(b *testing.B) {
			p := benchpki.Get(keyType)
			url, stop := httpServer(b, p)
			defer stop()
			var ops []pairOp
			for _, impl := range []string{implOurs, implStdlib, implCleanhttp} {
				c := httpClient(b, impl, p, false)
				defer c.CloseIdleConnections()
				ops = append(ops, pairOp{impl, func() error {
					_, _, err := get(c, url)
					c.CloseIdleConnections()
					return err
				}})
			}
			runPaired(b, ops, []ratio{
				{implStdlib, implOurs, false},
				{implStdlib, implOurs, true},
				{implCleanhttp, implOurs, false},
			})
		})
	}
}

// pairedP3: a request on a kept-alive connection, per client.
func pairedP3(b *testing.B) {
	p := benchpki.Get(benchpki.ECDSA)
	for _, proto := range []string{"HTTP1", "HTTP2"} {
		b.Run("proto="+proto, func(b *testing.B) {
			url, stop := httpServer(b, p)
			defer stop()
			var ops []pairOp
			for _, impl := range []string{implOurs, implStdlib, implCleanhttp} {
				c := httpClient(b, impl, p, proto == "HTTP1")
				defer c.CloseIdleConnections()
				ops = append(ops, pairOp{impl, func() error {
					_, _, err := get(c, url)
					return err
				}})
			}
			runPaired(b, ops, []ratio{
				{implOurs, implStdlib, false},
				{implOurs, implStdlib, true},
			})
		})
	}
}

// pairedP5: capool.Load of a cafile and AppendCertsFromPEM of the same file.
func pairedP5(b *testing.B) {
	for _, bundle := range []string{"system", "10000"} {
		b.Run("bundle="+bundle, func(b *testing.B) {
			var path string
			if bundle == "system" {
				path = systemBundle(b)
			} else {
				path, _ = generated(b, "bundle", 10000)
			}
			runPaired(b, []pairOp{
				{"capool", func() error {
					_, err := capool.Load(capool.Sources{CAFile: path})
					return err
				}},
				{implStdlib, func() error {
					data, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					if !x509.NewCertPool().AppendCertsFromPEM(data) {
						return fmt.Errorf("%s: no certificates", path)
					}
					return nil
				}},
			}, []ratio{
				{"capool", implStdlib, false},
				{"capool", implStdlib, true},
			})
		})
	}
}

// pairedP6: a burst of handshakes from two clients against each server in
// turn; the handshakes/s of each is reported as NAME-handshakes/s.
func pairedP6(b *testing.B) {
	const clients, burst = 2, 8
	for _, keyType := range []string{benchpki.ECDSA, benchpki.RSA} {
		b.Run("cert="+keyType, func(b *testing.B) {
			p := benchpki.Get(keyType)
			ours := startOurServer(b, p.TLSCert)
			defer ours.Close()
			std := startStdServer(b, stdServerConfig(p))
			defer std.Close()
			cfg := clientConfig(b, implStdlib, p, kexHybrid)
			load := func(addr string) error {
				var wg sync.WaitGroup
				errs := make([]error, clients)
				for c := range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range burst {
							if err := handshake(addr, cfg); err != nil {
								errs[c] = err
								return
							}
						}
					}()
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						return err
					}
				}
				return nil
			}
			var wall = map[string]time.Duration{}
			timed := func(name, addr string) pairOp {
				return pairOp{name, func() error {
					t0 := time.Now()
					err := load(addr)
					wall[name] += time.Since(t0)
					return err
				}}
			}
			runPaired(b, []pairOp{timed(implOurs, ours.Addr), timed(implStdlib, std.Addr)}, []ratio{
				{implOurs, implStdlib, false},
				{implOurs, implStdlib, true},
			})
			// wall includes the warm-up burst; count it.
			for _, name := range []string{implOurs, implStdlib} {
				b.ReportMetric(float64((b.N+1)*clients*burst)/wall[name].Seconds(), name+"-handshakes/s")
			}
		})
	}
}
