// Command capathbench is the Go side of capath.sh: it makes hashed CA
// directories, serves TLS with a leaf issued by one of their CAs, and
// measures, in a fresh process, what a hashed capath costs a client:
// opening it (tlsdefault.ClientConfig with WithCAPath) plus the extra time
// of the first verifying handshake over a handshake in the same process
// that verifies nothing.
//
//	capathbench gen DIR N...   write DIR/capath-N (N CAs, one regular PEM file
//	                           per CA named <subject hash>.<k>), DIR/leaf.pem,
//	                           DIR/leaf.key (the leaf's CA is in every capath-N)
//	capathbench serve DIR      serve TLS with the leaf; print the address;
//	                           until standard input closes
//	capathbench client CAPATH ADDR
//	                           print "open_ns verify_hs_ns plain_hs_ns"
//	                           (ClientConfig, handshake by tls.Dial)
//	capathbench newclient CAPATH ADDR
//	                           the same for NewClient: open is NewClient,
//	                           the handshake its transport's dialler
//	                           (DialTLSContext), as for a request, to
//	                           ADDR with the name localhost (as Python:
//	                           no name lookup on either side)
//	capathbench stdlib CAFILE ADDR
//	                           the floor, for reference: crypto/tls alone
//	                           with a pool of the one CA that issued the
//	                           leaf (DIR/ca.pem), no capath and no library:
//	                           open is reading CAFILE into an x509.CertPool
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
)

func main() {
	var err error
	switch {
	case len(os.Args) >= 4 && os.Args[1] == "gen":
		err = gen(os.Args[2], os.Args[3:])
	case len(os.Args) == 3 && os.Args[1] == "serve":
		err = serve(os.Args[2])
	case len(os.Args) == 4 && os.Args[1] == "client":
		err = client(os.Args[2], os.Args[3], false)
	case len(os.Args) == 4 && os.Args[1] == "newclient":
		err = client(os.Args[2], os.Args[3], true)
	case len(os.Args) == 4 && os.Args[1] == "stdlib":
		err = stdlib(os.Args[2], os.Args[3])
	default:
		fmt.Fprintln(os.Stderr, "usage: capathbench gen DIR N... | serve DIR | client CAPATH ADDR | newclient CAPATH ADDR | stdlib CAFILE ADDR")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "capathbench:", err)
		os.Exit(1)
	}
}

func gen(dir string, counts []string) error {
	max := 0
	var ns []int
	for _, c := range counts {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return fmt.Errorf("bad count %q", c)
		}
		ns = append(ns, n)
		max = maxInt(max, n)
	}
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	// The other CAs share one key: only their names matter here.
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	var cas []*x509.Certificate
	for i := 0; i < max; i++ {
		key := otherKey
		if i == 0 {
			key = rootKey
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(int64(i) + 1),
			Subject:               pkix.Name{CommonName: fmt.Sprintf("capathbench CA %05d", i), Organization: []string{"tlsdefault bench"}},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(30 * 24 * time.Hour),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			return err
		}
		c, _ := x509.ParseCertificate(der)
		cas = append(cas, c)
	}
	for _, n := range ns {
		d := filepath.Join(dir, fmt.Sprintf("capath-%d", n))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		used := map[uint32]int{}
		for _, c := range cas[:n] {
			h := capool.SubjectHash(c)
			name := filepath.Join(d, fmt.Sprintf("%08x.%d", h, used[h]))
			used[h]++
			if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cas[0].Raw}), 0o644); err != nil {
		return err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1 << 40),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, cas[0], leafKey.Public(), rootKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "leaf.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "leaf.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func serve(dir string) error {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf.key"))
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return nil
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.(*tls.Conn).Handshake()
		}()
	}
}

// handshake dials addr with cfg and completes the handshake.
func handshake(addr string, cfg *tls.Config) (time.Duration, error) {
	start := time.Now()
	c, err := tls.Dial("tcp", addr, cfg)
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	c.Close()
	return d, nil
}

// baseline is the handshake that verifies nothing: the median of four
// handshakes after a first one that warms the process.
func baseline(addr string) (time.Duration, error) {
	plain := &tls.Config{ServerName: "localhost", InsecureSkipVerify: true}
	var hss []time.Duration
	for i := range 5 {
		d, err := handshake(addr, plain)
		if err != nil {
			return 0, err
		}
		if i > 0 {
			hss = append(hss, d)
		}
	}
	slices.Sort(hss)
	return (hss[1] + hss[2]) / 2, nil
}

func client(capath, addr string, viaNewClient bool) error {
	base, err := baseline(addr)
	if err != nil {
		return err
	}
	if viaNewClient {
		return newClient(capath, addr, base)
	}
	start := time.Now()
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAPath(capath))
	open := time.Since(start)
	if err != nil {
		return err
	}
	cfg.ServerName = "localhost"
	hs, err := handshake(addr, cfg)
	if err != nil {
		return fmt.Errorf("verifying handshake: %w", err)
	}
	fmt.Println(open.Nanoseconds(), hs.Nanoseconds(), base.Nanoseconds())
	return nil
}

// stdlib measures the floor: crypto/tls verifying with an x509.CertPool
// that holds only the leaf's CA, read from cafile.
func stdlib(cafile, addr string) error {
	base, err := baseline(addr)
	if err != nil {
		return err
	}
	start := time.Now()
	data, err := os.ReadFile(cafile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return fmt.Errorf("%s: no certificate", cafile)
	}
	open := time.Since(start)
	hs, err := handshake(addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		return fmt.Errorf("verifying handshake: %w", err)
	}
	fmt.Println(open.Nanoseconds(), hs.Nanoseconds(), base.Nanoseconds())
	return nil
}

// newClient measures NewClient and its dialler's first handshake.
func newClient(capath, addr string, base time.Duration) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	start := time.Now()
	hc, err := tlsdefault.NewClient(tlsdefault.WithCAPath(capath))
	open := time.Since(start)
	if err != nil {
		return err
	}
	tr := hc.Transport.(*http.Transport)
	// Connect to addr (127.0.0.1) and verify the name localhost, as the
	// Python side and the baseline do: dialling "localhost" would add a
	// first name lookup (0.15-0.4 ms here) that neither of them makes.
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	dial := tr.DialTLSContext
	start = time.Now()
	c, err := dial(context.Background(), "tcp", net.JoinHostPort("localhost", port))
	hs := time.Since(start)
	if err != nil {
		return fmt.Errorf("verifying handshake: %w", err)
	}
	c.Close()
	fmt.Println(open.Nanoseconds(), hs.Nanoseconds(), base.Nanoseconds())
	return nil
}
