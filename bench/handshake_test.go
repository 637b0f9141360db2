package bench

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/bench/internal/benchpki"
)

// Key exchange groups of the handshake benchmarks.
const (
	kexHybrid = "X25519MLKEM768" // Go's default first choice
	kexX25519 = "X25519"
)

// Implementations compared.
const (
	implOurs   = "tlsdefault"
	implStdlib = "stdlib"
	implFloor  = "floor"
)

// tlsServer is a TLS server on a loopback port that completes each
// handshake and then closes the connection (close_notify), so that a client
// reading to EOF knows the server's side of the handshake is done.
type tlsServer struct {
	Addr string
	ln   net.Listener
	wg   sync.WaitGroup
}

func (s *tlsServer) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// startOurServer serves with tlsdefault.Listen: its Accept returns
// connections whose handshake is already complete.
func startOurServer(tb testing.TB, cert tls.Certificate) *tlsServer {
	tb.Helper()
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(cert))
	if err != nil {
		tb.Fatal(err)
	}
	s := &tlsServer{Addr: ln.Addr().String(), ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return s
}

// startStdServer serves with tls.Listen and the stdlib's defaults (config
// holding only the certificate), handshaking each connection in its own
// goroutine as http.Server does.
func startStdServer(tb testing.TB, cfg *tls.Config) *tlsServer {
	tb.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s := &tlsServer{Addr: ln.Addr().String(), ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				tc := c.(*tls.Conn)
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				tc.Handshake()
				tc.Close()
			}()
		}
	}()
	return s
}

func stdServerConfig(p *benchpki.PKI) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.TLSCert}}
}

// handshake dials addr, completes a client handshake and reads until the
// server closes, which it does once its side of the handshake is done.
func handshake(addr string, cfg *tls.Config) error {
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	tc := tls.Client(raw, cfg)
	defer tc.Close()
	if err := tc.Handshake(); err != nil {
		return err
	}
	var buf [1]byte
	if _, err := tc.Read(buf[:]); !errors.Is(err, io.EOF) {
		return errors.New("expected the server to close after the handshake")
	}
	return nil
}

// clientConfig returns the client config of impl for a full handshake: no
// session cache (so nothing is resumed), the given groups.
func clientConfig(tb testing.TB, impl string, p *benchpki.PKI, kex string) *tls.Config {
	tb.Helper()
	var cfg *tls.Config
	switch impl {
	case implOurs:
		base, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(p.RootPEM))
		if err != nil {
			tb.Fatal(err)
		}
		cfg = base.Clone()
		cfg.ClientSessionCache = nil
	case implStdlib:
		cfg = &tls.Config{RootCAs: p.Roots}
	}
	cfg.ServerName = "localhost"
	if kex == kexX25519 {
		cfg.CurvePreferences = []tls.CurveID{tls.X25519}
	}
	return cfg
}

// BenchmarkP1Handshake measures full TLS 1.3 handshakes over loopback,
// client and server in this process, one at a time: tlsdefault.Listen with
// tlsdefault.ClientConfig beside tls.Listen with a stdlib client config, with
// the same certificate and key exchange, and the crypto floor (the raw
// operations a full handshake cannot avoid). Both servers send session
// tickets (their default); the clients have no session cache, so every
// handshake is a full one. cpu-ns/op is the CPU of client and server
// together, the figure the P1 target is about.
func BenchmarkP1Handshake(b *testing.B) {
	for _, keyType := range []string{benchpki.ECDSA, benchpki.RSA} {
		for _, kex := range []string{kexHybrid, kexX25519} {
			p := benchpki.Get(keyType)
			name := "cert=" + keyType + "/kex=" + kex
			b.Run(name+"/impl="+implFloor, func(b *testing.B) { benchFloor(b, p, kex) })
			for _, impl := range []string{implStdlib, implOurs} {
				b.Run(name+"/impl="+impl, func(b *testing.B) {
					var srv *tlsServer
					if impl == implOurs {
						srv = startOurServer(b, p.TLSCert)
					} else {
						srv = startStdServer(b, stdServerConfig(p))
					}
					defer srv.Close()
					cfg := clientConfig(b, impl, p, kex)
					if err := handshake(srv.Addr, cfg); err != nil { // warm up, and check
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.ResetTimer()
					cpu := startCPU(b)
					for i := 0; i < b.N; i++ {
						if err := handshake(srv.Addr, cfg); err != nil {
							b.Fatal(err)
						}
					}
					cpu.report(b)
				})
			}
		}
	}
}

// floorOp performs the cryptographic operations of one full TLS 1.3
// handshake, both sides: the key exchange (client key generation, server
// key generation and encapsulation, client decapsulation), the server's
// CertificateVerify signature and the client's check of it, and the
// client's verification of the server's chain (one signature by the root).
func floorOp(p *benchpki.PKI, kex string) error {
	x := ecdh.X25519()
	// Client: key shares.
	cPriv, err := x.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	var dk *mlkem.DecapsulationKey768
	if kex == kexHybrid {
		if dk, err = mlkem.GenerateKey768(); err != nil {
			return err
		}
	}
	// Server: parse the shares, its own X25519 key, shared secret, encapsulate.
	cPub, err := x.NewPublicKey(cPriv.PublicKey().Bytes())
	if err != nil {
		return err
	}
	sPriv, err := x.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if _, err := sPriv.ECDH(cPub); err != nil {
		return err
	}
	var ct []byte
	if kex == kexHybrid {
		ek, err := mlkem.NewEncapsulationKey768(dk.EncapsulationKey().Bytes())
		if err != nil {
			return err
		}
		_, ct = ek.Encapsulate()
	}
	// Client: shared secret.
	sPub, err := x.NewPublicKey(sPriv.PublicKey().Bytes())
	if err != nil {
		return err
	}
	if _, err := cPriv.ECDH(sPub); err != nil {
		return err
	}
	if kex == kexHybrid {
		if _, err := dk.Decapsulate(ct); err != nil {
			return err
		}
	}
	// Server signs the transcript (CertificateVerify), client checks it.
	digest := sha256.Sum256([]byte("TLS 1.3, server CertificateVerify transcript stand-in"))
	switch k := p.LeafKey.(type) {
	case *ecdsa.PrivateKey:
		sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
		if err != nil {
			return err
		}
		if !ecdsa.VerifyASN1(&k.PublicKey, digest[:], sig) {
			return errors.New("ECDSA signature does not verify")
		}
	case *rsa.PrivateKey:
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
		sig, err := rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], opts)
		if err != nil {
			return err
		}
		if err := rsa.VerifyPSS(&k.PublicKey, crypto.SHA256, digest[:], sig, opts); err != nil {
			return err
		}
	}
	// Client verifies the chain.
	_, err = p.Leaf.Verify(x509.VerifyOptions{Roots: p.Roots, DNSName: "localhost"})
	return err
}

func benchFloor(b *testing.B, p *benchpki.PKI, kex string) {
	if err := floorOp(p, kex); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		if err := floorOp(p, kex); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkP6ServerLoad measures server throughput: two client goroutines
// doing full handshakes (stdlib client, no session cache, default groups) as
// fast as they can against tlsdefault.Listen or tls.Listen with the stdlib
// defaults, all on this machine's cores. handshakes/s is the figure of the
// P6 target.
func BenchmarkP6ServerLoad(b *testing.B) {
	const clients = 2
	for _, keyType := range []string{benchpki.ECDSA, benchpki.RSA} {
		p := benchpki.Get(keyType)
		for _, impl := range []string{implStdlib, implOurs} {
			b.Run("cert="+keyType+"/impl="+impl, func(b *testing.B) {
				var srv *tlsServer
				if impl == implOurs {
					srv = startOurServer(b, p.TLSCert)
				} else {
					srv = startStdServer(b, stdServerConfig(p))
				}
				defer srv.Close()
				cfg := clientConfig(b, implStdlib, p, kexHybrid)
				if err := handshake(srv.Addr, cfg); err != nil {
					b.Fatal(err)
				}
				var (
					left = int64(b.N)
					wg   sync.WaitGroup
					fail atomic.Value
				)
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU(b)
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for atomic.AddInt64(&left, -1) >= 0 {
							if err := handshake(srv.Addr, cfg); err != nil {
								fail.Store(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				cpu.report(b)
				if err, _ := fail.Load().(error); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
			})
		}
	}
}
