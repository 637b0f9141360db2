// Command pypeer is the Go side of python.sh: it serves TLS with
// tlsdefault.Listen and with tls.Listen for a Python client to time, and
// times Go clients (tlsdefault.ClientConfig and a stdlib config) against a
// Python server.
//
//	pypeer serve DIR          write DIR/ca.pem, cert.pem, key.pem (ECDSA P-256),
//	                          print "tlsdefault ADDR" and "stdlib ADDR", serve
//	                          until standard input closes
//	pypeer dial CAFILE ADDR N [GROUP]
//	                          time N full handshakes of each Go client
//	pypeer self N GROUP       time Go clients against Go servers, for comparison
//
// Every server completes the handshake and closes the connection; every
// client completes the handshake and reads until the server has closed, so
// each timing covers both sides. No session is resumed.
//go:build unix

package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/bench/internal/benchpki"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		if len(os.Args) != 3 {
			usage()
		}
		err = serve(os.Args[2])
	case "dial":
		if len(os.Args) < 5 {
			usage()
		}
		group := ""
		if len(os.Args) > 5 {
			group = os.Args[5]
		}
		err = dial(os.Args[2], os.Args[3], os.Args[4], group)
	case "self":
		if len(os.Args) != 4 {
			usage()
		}
		err = self(os.Args[2], os.Args[3])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pypeer:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: pypeer serve DIR | pypeer dial CAFILE ADDR N [GROUP] | pypeer self N GROUP")
	os.Exit(2)
}

// closeAfter accepts connections and closes each one: for tlsdefault the
// handshake is already complete; for tls.Listen it is done first.
func closeAfter(ln net.Listener, handshake bool) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			if tc, ok := c.(*tls.Conn); ok && handshake {
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				tc.Handshake()
			}
			c.Close()
		}()
	}
}

func listenBoth(p *benchpki.PKI) (ours, std net.Listener, err error) {
	ours, err = tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(p.TLSCert))
	if err != nil {
		return nil, nil, err
	}
	std, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.TLSCert}})
	if err != nil {
		ours.Close()
		return nil, nil, err
	}
	go closeAfter(ours, false)
	go closeAfter(std, true)
	return ours, std, nil
}

func serve(dir string) error {
	p := benchpki.Get(benchpki.ECDSA)
	if _, _, _, err := p.WriteFiles(dir); err != nil {
		return err
	}
	ours, std, err := listenBoth(p)
	if err != nil {
		return err
	}
	fmt.Printf("tlsdefault %s\nstdlib %s\n", ours.Addr(), std.Addr())
	io.Copy(io.Discard, os.Stdin)
	ours.Close()
	std.Close()
	return nil
}

// clients returns the Go client configs timed: tlsdefault's and the
// stdlib's, neither with a session cache.
func clients(roots *x509.CertPool, rootPEM []byte, group string) (map[string]*tls.Config, error) {
	ours, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(rootPEM))
	if err != nil {
		return nil, err
	}
	ours = ours.Clone()
	ours.ClientSessionCache = nil
	std := &tls.Config{RootCAs: roots}
	for _, c := range []*tls.Config{ours, std} {
		c.ServerName = "localhost"
		switch group {
		case "", "default":
		case "X25519":
			c.CurvePreferences = []tls.CurveID{tls.X25519}
		default:
			return nil, fmt.Errorf("unknown group %q (default or X25519)", group)
		}
	}
	return map[string]*tls.Config{"tlsdefault.ClientConfig": ours, "stdlib tls.Config": std}, nil
}

func handshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	tc := tls.Client(raw, cfg)
	defer tc.Close()
	if err := tc.Handshake(); err != nil {
		return tls.ConnectionState{}, err
	}
	var buf [1]byte
	if _, err := tc.Read(buf[:]); err != nil && !errors.Is(err, io.EOF) {
		// Python's server may reset rather than close_notify; the
		// handshake is complete either way.
		var ne net.Error
		if !errors.As(err, &ne) && !errors.Is(err, syscall.ECONNRESET) {
			return tls.ConnectionState{}, err
		}
	}
	return tc.ConnectionState(), nil
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timeClients does n handshakes with each config, in alternating rounds so
// that a change of load on the machine hits them alike, and prints the rate
// and this process's CPU per handshake.
func timeClients(labels []string, addrs []string, cfgs []*tls.Config, n int) error {
	const rounds = 4
	type total struct {
		wall, cpu time.Duration
		cs        tls.ConnectionState
	}
	tot := make([]total, len(cfgs))
	for i := range cfgs {
		cs, err := handshake(addrs[i], cfgs[i]) // warm up, and check
		if err != nil {
			return fmt.Errorf("%s: %w", labels[i], err)
		}
		tot[i].cs = cs
	}
	for r := 0; r < rounds; r++ {
		for i := range cfgs {
			start, cpu := time.Now(), cpuNow()
			for k := 0; k < n/rounds; k++ {
				if _, err := handshake(addrs[i], cfgs[i]); err != nil {
					return fmt.Errorf("%s: %w", labels[i], err)
				}
			}
			tot[i].wall += time.Since(start)
			tot[i].cpu += cpuNow() - cpu
		}
	}
	done := float64(n / rounds * rounds)
	for i, t := range tot {
		fmt.Printf("%-58s %8.0f handshakes/s  %7.0f µs/handshake  (Go process CPU %4.0f µs/handshake; %s)\n",
			labels[i], done/t.wall.Seconds(), float64(t.wall.Microseconds())/done,
			float64(t.cpu.Microseconds())/done, curveName(t.cs))
	}
	return nil
}

func curveName(cs tls.ConnectionState) string {
	return tls.VersionName(cs.Version) + " " + cs.CurveID.String()
}

func dial(caFile, addr, count, group string) error {
	n, err := strconv.Atoi(count)
	if err != nil {
		return err
	}
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemData) {
		return fmt.Errorf("%s: no certificate", caFile)
	}
	cfgs, err := clients(roots, pemData, group)
	if err != nil {
		return err
	}
	return timeClients(
		[]string{"tlsdefault.ClientConfig -> python3 server", "stdlib tls.Config -> python3 server"},
		[]string{addr, addr},
		[]*tls.Config{cfgs["tlsdefault.ClientConfig"], cfgs["stdlib tls.Config"]}, n)
}

func self(count, group string) error {
	n, err := strconv.Atoi(count)
	if err != nil {
		return err
	}
	p := benchpki.Get(benchpki.ECDSA)
	ours, std, err := listenBoth(p)
	if err != nil {
		return err
	}
	defer ours.Close()
	defer std.Close()
	cfgs, err := clients(p.Roots, p.RootPEM, group)
	if err != nil {
		return err
	}
	return timeClients(
		[]string{"tlsdefault.ClientConfig -> tlsdefault.Listen", "stdlib tls.Config -> tls.Listen"},
		[]string{ours.Addr().String(), std.Addr().String()},
		[]*tls.Config{cfgs["tlsdefault.ClientConfig"], cfgs["stdlib tls.Config"]}, n)
}
