package tlsdefault_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
)

// helloServer serves, on a loopback port, "hello NAME over VERSION", where
// NAME is the common name of the client certificate or "anonymous". It
// returns the server's address and a function that stops it.
func helloServer(opts ...tlsdefault.Option) (addr string, stop func()) {
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts...)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := "anonymous"
		if len(r.TLS.PeerCertificates) > 0 {
			who = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		fmt.Fprintf(w, "hello %s over %s\n", who, tls.VersionName(r.TLS.Version))
	}))
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }
}

// printGet prints the body of a GET of url, or that it failed.
func printGet(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		fmt.Println("refused")
		return
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
}

// discardLog is a logger for listeners whose failed handshakes the example
// provokes on purpose.
var discardLog = log.New(io.Discard, "", 0)

// WithCAFile trusts a PEM bundle and only it (Python's cafile). A path
// that cannot be read is an error naming it, never a fall-back to the
// system store.
func ExampleWithCAFile() {
	cert, caDER := throwawayCert()
	addr, stop := helloServer(tlsdefault.WithCertificate(cert))
	defer stop()

	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bundle := filepath.Join(dir, "ca-bundle.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		log.Fatal(err)
	}

	client, err := tlsdefault.NewClient(tlsdefault.WithCAFile(bundle))
	if err != nil {
		log.Fatal(err)
	}
	printGet(client, "https://"+addr)

	_, err = tlsdefault.NewClient(tlsdefault.WithCAFile(filepath.Join(dir, "missing.pem")))
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "$DIR"))
	// Output:
	// hello anonymous over TLS 1.3
	// tlsdefault: WithCAFile: capool: cafile $DIR/missing.pem: no such file or directory
}

// WithCAPath trusts a directory of CAs (Python's capath). Here it is laid
// out with capool.Rehash, as `openssl rehash` would; the CA is looked up
// by the hash of its name during the handshake.
func ExampleWithCAPath() {
	cert, caDER := throwawayCert()
	addr, stop := helloServer(tlsdefault.WithCertificate(cert))
	defer stop()

	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "server-ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := capool.Rehash(dir); err != nil {
		log.Fatal(err)
	}

	client, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
	if err != nil {
		log.Fatal(err)
	}
	printGet(client, "https://"+addr)
	// Output: hello anonymous over TLS 1.3
}

// WithPool trusts a pool built with package capool, for example to
// inspect or log it first, or to share one pool between clients and
// servers.
func ExampleWithPool() {
	cert, caDER := throwawayCert()
	addr, stop := helloServer(tlsdefault.WithCertificate(cert))
	defer stop()

	pool, err := capool.Load(capool.Sources{CAData: caDER})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("trusting:", pool.Describe())
	client, err := tlsdefault.NewClient(tlsdefault.WithPool(pool))
	if err != nil {
		log.Fatal(err)
	}
	printGet(client, "https://"+addr)

	_, err = tlsdefault.NewClient(tlsdefault.WithPool(nil))
	fmt.Println(err)
	// Output:
	// trusting: cadata (1 certificate)
	// hello anonymous over TLS 1.3
	// tlsdefault: WithPool: nil pool; build one with capool.Load or capool.System
}

// WithCAData trusts certificates given as bytes (Python's cadata): DER,
// or PEM text holding one certificate or several.
func ExampleWithCAData() {
	cert, caDER := throwawayCert()
	_, otherDER := throwawayCert()
	addr, stop := helloServer(tlsdefault.WithCertificate(cert))
	defer stop()

	bundle := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: otherDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(bundle))
	if err != nil {
		log.Fatal(err)
	}
	printGet(client, "https://"+addr)

	_, err = tlsdefault.NewClient(tlsdefault.WithCAData(nil))
	fmt.Println(err)
	// Output:
	// hello anonymous over TLS 1.3
	// tlsdefault: WithCAData: no data; give PEM text or DER bytes of CA certificates, or leave the option out to use the system store
}

// WithSystemRoots adds the system store to explicit trust sources: this
// client reaches both public servers and the loopback server of its own CA.
func ExampleWithSystemRoots() {
	cert, caDER := throwawayCert()
	addr, stop := helloServer(tlsdefault.WithCertificate(cert))
	defer stop()

	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(caDER), tlsdefault.WithSystemRoots())
	if err != nil {
		log.Fatal(err)
	}
	printGet(client, "https://"+addr)
	// Output: hello anonymous over TLS 1.3
}

// WithCertificate given more than once: a server presents the certificate
// of the name the client asks for (SNI).
func ExampleWithCertificate() {
	ca := newExampleCA()
	addr, stop := helloServer(
		tlsdefault.WithCertificate(ca.issue(x509.ExtKeyUsageServerAuth, "a.example")),
		tlsdefault.WithCertificate(ca.issue(x509.ExtKeyUsageServerAuth, "b.example")))
	defer stop()

	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.cert.Raw))
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"a.example", "b.example"} {
		cfg := cfg.Clone()
		cfg.ServerName = name
		conn, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, "presented", conn.ConnectionState().PeerCertificates[0].Subject.CommonName)
		conn.Close()
	}
	// Output:
	// a.example presented a.example
	// b.example presented b.example
}

// WithClientAuth(tls.VerifyClientCertIfGiven) lets clients in with or
// without a certificate; one that sends a certificate must have it issued
// by the trusted CA. Modes that would accept unverified certificates are
// refused.
func ExampleWithClientAuth() {
	ca := newExampleCA()
	addr, stop := helloServer(
		tlsdefault.WithCertificate(ca.issue(x509.ExtKeyUsageServerAuth, "127.0.0.1")),
		tlsdefault.WithClientAuth(tls.VerifyClientCertIfGiven),
		tlsdefault.WithCAData(ca.cert.Raw), // the CA of client certificates
		tlsdefault.WithErrorLog(discardLog))
	defer stop()

	alice, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.cert.Raw),
		tlsdefault.WithCertificate(ca.issue(x509.ExtKeyUsageClientAuth, "alice")))
	if err != nil {
		log.Fatal(err)
	}
	printGet(alice, "https://"+addr)
	anonymous, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.cert.Raw))
	if err != nil {
		log.Fatal(err)
	}
	printGet(anonymous, "https://"+addr)

	_, err = tlsdefault.ServerConfig(tlsdefault.WithClientAuth(tls.RequireAnyClientCert), tlsdefault.WithCAData(ca.cert.Raw))
	fmt.Println(err)
	// Output:
	// hello alice over TLS 1.3
	// hello anonymous over TLS 1.3
	// tlsdefault: WithClientAuth: RequireAnyClientCert accepts client certificates without verifying them; use tls.VerifyClientCertIfGiven or tls.RequireAndVerifyClientCert with a trust option
}

// WithMinVersion(tls.VersionTLS13) makes a server refuse TLS 1.2 clients.
// Nothing below TLS 1.2 can be asked for here: that is package legacy.
func ExampleWithMinVersion() {
	cert, caDER := throwawayCert()
	addr, stop := helloServer(tlsdefault.WithCertificate(cert), tlsdefault.WithMinVersion(tls.VersionTLS13),
		tlsdefault.WithErrorLog(discardLog))
	defer stop()

	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(caDER))
	if err != nil {
		log.Fatal(err)
	}
	cfg.MaxVersion = tls.VersionTLS12 // an older client
	_, err = tls.Dial("tcp", addr, cfg)
	if alert, ok := tlsdefault.Diagnose(err).Alert(); ok {
		fmt.Println("TLS 1.2 client:", alert)
	}

	_, err = tlsdefault.ServerConfig(tlsdefault.WithMinVersion(tls.VersionTLS11))
	fmt.Println(err)
	// Output:
	// TLS 1.2 client: tls: protocol version not supported
	// tlsdefault: WithMinVersion: TLS 1.1 is below the floor of TLS 1.2; to talk to an old peer, see package legacy
}

// A server closes a connection whose handshake has not completed within
// WithHandshakeTimeout (10 seconds by default), here a client that
// connects and sends nothing.
func ExampleWithHandshakeTimeout() {
	cert, _ := throwawayCert()
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(cert),
		tlsdefault.WithHandshakeTimeout(100*time.Millisecond), tlsdefault.WithErrorLog(discardLog))
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept() // returns only connections that completed their handshake
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	silent, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer silent.Close()
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = silent.Read(make([]byte, 1))
	fmt.Println("closed by the server:", errors.Is(err, io.EOF))
	// Output: closed by the server: true
}

// On a client, WithHandshakeTimeout bounds the handshake too; a handshake
// that takes longer is a HandshakeError with CauseTimeout, whose Err is
// ErrHandshakeTimeout. Here the server accepts the connection and never
// answers.
func ExampleHandshakeError_Timeout() {
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer mute.Close()
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	client, err := tlsdefault.NewClient(tlsdefault.WithHandshakeTimeout(100 * time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Get("https://" + mute.Addr().String() + "/")
	var he *tlsdefault.HandshakeError
	if errors.As(err, &he) {
		fmt.Println(he.Cause)
		fmt.Println("Timeout:", he.Timeout())
		fmt.Println("ErrHandshakeTimeout:", errors.Is(err, tlsdefault.ErrHandshakeTimeout))
		fmt.Println("os.ErrDeadlineExceeded:", errors.Is(err, os.ErrDeadlineExceeded))
	}
	// Output:
	// handshake timed out
	// Timeout: true
	// ErrHandshakeTimeout: true
	// os.ErrDeadlineExceeded: true
}

// Alert gives the TLS alert the peer sent: here a server that requires a
// client certificate refuses a client that has none.
func ExampleHandshakeError_Alert() {
	ca := newExampleCA()
	addr, stop := helloServer(
		tlsdefault.WithCertificate(ca.issue(x509.ExtKeyUsageServerAuth, "127.0.0.1")),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
		tlsdefault.WithCAData(ca.cert.Raw),
		tlsdefault.WithErrorLog(discardLog))
	defer stop()

	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.cert.Raw))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Get("https://" + addr)
	var he *tlsdefault.HandshakeError
	if errors.As(err, &he) {
		alert, ok := he.Alert()
		fmt.Printf("%s refused: %s (alert: %v, %v)\n", he.Side, he.Cause, ok, alert)
	}
	// Output: server refused: client certificate required (alert: true, tls: certificate required)
}

// WithMaxConns caps the connections a listener keeps open. With a cap of
// one, a second client waits (here until its own timeout) while the first
// connection is open, and gets in once it is closed.
func ExampleWithMaxConns() {
	cert, caDER := throwawayCert()
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(cert),
		tlsdefault.WithMaxConns(1), tlsdefault.WithErrorLog(discardLog))
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()

	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(caDER))
	if err != nil {
		log.Fatal(err)
	}
	dial := func(timeout time.Duration) error {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", ln.Addr().String(), cfg)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	first, err := tls.Dial("tcp", ln.Addr().String(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	held := <-accepted
	var ne net.Error
	err = dial(200 * time.Millisecond)
	fmt.Println("second while the first is open, timed out:", errors.As(err, &ne) && ne.Timeout())

	first.Close()
	held.Close()
	fmt.Println("third after the first closed:", dial(5*time.Second))
	// Output:
	// second while the first is open, timed out: true
	// third after the first closed: <nil>
}

// syncWriter passes each write to a channel, so that the example can wait
// for the log line that a listener writes from its own goroutine.
type syncWriter chan string

func (w syncWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// WithErrorLog sends the listener's reports of failed handshakes to a
// logger of the program's own. Each line explains the failure and ends
// with its cause; here a client that does not trust the server's
// certificate.
func ExampleWithErrorLog() {
	lines := make(syncWriter, 10)
	cert, _ := throwawayCert()
	addr, stop := helloServer(tlsdefault.WithCertificate(cert), tlsdefault.WithErrorLog(log.New(lines, "tls: ", 0)))
	defer stop()

	client, err := tlsdefault.NewClient() // the system store does not know the throwaway CA
	if err != nil {
		log.Fatal(err)
	}
	printGet(client, "https://"+addr)
	line := <-lines
	_, cause, _ := strings.Cut(line, "[cause: ")
	fmt.Println(strings.HasPrefix(line, "tls: tlsdefault: handshake with 127.0.0.1:"))
	fmt.Println("cause:", strings.TrimSuffix(strings.TrimSpace(cause), "]"))
	// Output:
	// refused
	// true
	// cause: server certificate refused by peer
}

// A server certificate with an RSA key under 2048 bits verifies against
// its CA but breaks the chain policy: the error is a *PolicyError saying
// which certificate of the chain and which rule. The peer here is a plain
// crypto/tls server, since tlsdefault would not serve such a key.
//
// Under GODEBUG=fips140=on crypto/tls itself refuses the 1024-bit key
// before the policy sees it, and this example's output differs.
func ExamplePolicyError() {
	ca := newExampleCA()
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "old appliance"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &weak.PublicKey, ca.key)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: weak}}})
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()

	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.cert.Raw))
	if err != nil {
		log.Fatal(err)
	}
	_, err = tls.Dial("tcp", ln.Addr().String(), cfg)
	var pe *tlsdefault.PolicyError
	if errors.As(err, &pe) {
		fmt.Printf("%s certificate %d (%s): %s\n", pe.Peer, pe.Index, pe.Cert.Subject.CommonName, pe.Rule)
	}
	fmt.Println("cause:", tlsdefault.Diagnose(err).Cause)
	// Output:
	// server certificate 0 (old appliance): RSA key size
	// cause: below the chain policy
}
