package legacy_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// oldPeers is a throwaway CA and a set of servers on loopback, each
// speaking only TLS 1.0 (an old appliance) or the defaults (a modern
// server), with a certificate for its host name. A real program reaches
// such hosts by their names; clients here dial them with the dialer of
// oldPeers.
type oldPeers struct {
	caDER []byte
	key   *ecdsa.PrivateKey
	ca    *x509.Certificate
	addrs map[string]string // host name -> loopback address
	stops []func()
}

func newOldPeers() *oldPeers {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return &oldPeers{caDER: der, key: key, ca: ca, addrs: map[string]string{}}
}

// certificate issues a certificate for name.
func (p *oldPeers) certificate(name string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serve starts a server for name; maxVersion is tls.VersionTLS10 for an
// old appliance, 0 for a modern server.
func (p *oldPeers) serve(name string, maxVersion uint16) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s over %s\n", name, tls.VersionName(r.TLS.Version))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.certificate(name)}, MinVersion: tls.VersionTLS10, MaxVersion: maxVersion}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused on purpose
	srv.StartTLS()
	p.addrs[name] = srv.Listener.Addr().String()
	p.stops = append(p.stops, srv.Close)
}

func (p *oldPeers) close() {
	for _, stop := range p.stops {
		stop()
	}
}

// dial connects to the loopback server of the host name in addr.
func (p *oldPeers) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	return (&net.Dialer{}).DialContext(ctx, network, p.addrs[host])
}

// client returns a new client of package tlsdefault, trusting the CA of
// p and dialling its servers, with opts.
func (p *oldPeers) client(opts ...tlsdefault.Option) *http.Client {
	client, err := tlsdefault.NewClient(append([]tlsdefault.Option{tlsdefault.WithCAData(p.caDER)}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	tr := client.Transport.(*http.Transport)
	tr.DialContext = p.dial
	tr.DisableKeepAlives = true // a handshake per request, for the counts
	return client
}

// printGet prints the body of a GET of https://host/, or that it failed.
func printGet(client *http.Client, host string) {
	resp, err := client.Get("https://" + host + "/")
	if err != nil {
		var he *tlsdefault.HandshakeError
		if errors.As(err, &he) {
			fmt.Printf("%s refused: %s\n", host, he.Cause)
			return
		}
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
}

// ForHosts limits legacy mode to the old peers named: one client reaches
// the old printers with TLS 1.0 while every other host, here an old
// server not named, still needs the defaults. Names that would open the
// scope to unrelated owners are refused.
func ExampleForHosts() {
	peers := newOldPeers()
	defer peers.close()
	peers.serve("printer-1.printers.example", tls.VersionTLS10)
	peers.serve("printer-2.printers.example", tls.VersionTLS10)
	peers.serve("billing.example", tls.VersionTLS10)
	peers.serve("www.example", 0)

	client := peers.client(legacy.Allow(legacy.ForHosts("*.printers.example"), legacy.Quiet()))
	for _, host := range []string{"printer-1.printers.example", "printer-2.printers.example", "billing.example", "www.example"} {
		printGet(client, host)
	}

	for _, pattern := range []string{"*.co.uk", "printer.example:443"} {
		_, err := tlsdefault.NewClient(legacy.Allow(legacy.ForHosts(pattern)))
		fmt.Println(err)
	}
	// Output:
	// printer-1.printers.example over TLS 1.0
	// printer-2.printers.example over TLS 1.0
	// billing.example refused: legacy scope does not cover peer
	// www.example over TLS 1.3
	// legacy: ForHosts: pattern "*.co.uk" is too broad: "co.uk" is a public suffix (ICANN section of the Public Suffix List), so the pattern would match hosts of unrelated owners; name the domain of one owner, as in *.example.co.uk
	// legacy: ForHosts: "printer.example:443" has a port or is not a host name; give the host name without port
}

// A Counter given with Observe counts the legacy handshakes, in total and
// per peer: when it stays at zero, the old peer is gone and Allow can be
// deleted. Modern handshakes through the same client are not counted.
func ExampleCounter() {
	peers := newOldPeers()
	defer peers.close()
	peers.serve("printer.example", tls.VersionTLS10)
	peers.serve("scanner.example", tls.VersionTLS10)
	peers.serve("www.example", 0)

	var old legacy.Counter
	client := peers.client(legacy.Allow(legacy.ForHosts("printer.example", "scanner.example"), legacy.Observe(&old), legacy.Quiet()))
	for _, host := range []string{"printer.example", "printer.example", "scanner.example", "www.example"} {
		resp, err := client.Get("https://" + host + "/")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}

	fmt.Println("legacy handshakes:", old.Count())
	peersSeen := old.Peers()
	for _, name := range slices.Sorted(maps.Keys(peersSeen)) {
		fmt.Println(" ", name, peersSeen[name].Count)
	}
	if ev, ok := old.Last(); ok {
		fmt.Println("last:", ev.Host, tls.VersionName(ev.Version))
	}
	// Output:
	// legacy handshakes: 3
	//   printer.example 2
	//   scanner.example 1
	// last: scanner.example TLS 1.0
}

// Event.String describes a legacy handshake in one line, with the version
// and suite by name.
func ExampleEvent_String() {
	peers := newOldPeers()
	defer peers.close()
	peers.serve("printer.example", tls.VersionTLS10)

	client := peers.client(legacy.Allow(legacy.ForHosts("printer.example"), legacy.Quiet(),
		legacy.OnHandshake(func(ev legacy.Event) { fmt.Println(ev) })))
	printGet(client, "printer.example")
	// Output:
	// legacy client handshake with printer.example: TLS 1.0, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
	// printer.example over TLS 1.0
}

// logWriter writes each warning as one line of a log.Logger, with its
// prefix and flags. (logger.Writer() would bypass them.)
type logWriter struct{ l *log.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Print(string(p))
	return len(p), nil
}

// WarnTo sends the warning legacy mode gives the first time each peer
// uses it to the program's own log instead of standard error.
func ExampleWarnTo() {
	peers := newOldPeers()
	defer peers.close()
	peers.serve("printer.example", tls.VersionTLS10)

	logger := log.New(os.Stdout, "app: ", 0)
	client := peers.client(legacy.Allow(legacy.ForHosts("printer.example"), legacy.WarnTo(logWriter{logger})))
	printGet(client, "printer.example")
	printGet(client, "printer.example") // warned once per peer
	// Output:
	// app: tlsdefault: warning: legacy client handshake with printer.example: TLS 1.0, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
	// printer.example over TLS 1.0
	// printer.example over TLS 1.0
}

// Quiet turns the warnings off. Keep a way to see that the old peer is
// still there, such as a Counter given with Observe.
func ExampleQuiet() {
	peers := newOldPeers()
	defer peers.close()
	peers.serve("printer.example", tls.VersionTLS10)

	var old legacy.Counter
	client := peers.client(legacy.Allow(legacy.ForHosts("printer.example"), legacy.Quiet(), legacy.Observe(&old)))
	printGet(client, "printer.example")
	fmt.Println("legacy handshakes:", old.Count())
	// Output:
	// printer.example over TLS 1.0
	// legacy handshakes: 1
}

// Allow works on a server too: this one serves TLS 1.0 clients that ask
// for the name of the old service by SNI, and the defaults to every other
// name on the same port.
func ExampleAllow_server() {
	peers := newOldPeers()
	var old legacy.Counter
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificate(peers.certificate("old.example")),
		tlsdefault.WithCertificate(peers.certificate("www.example")),
		tlsdefault.WithErrorLog(log.New(io.Discard, "", 0)),
		legacy.Allow(legacy.ForHosts("old.example"), legacy.Observe(&old), legacy.Quiet()))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AddCert(peers.ca)
	for _, name := range []string{"old.example", "www.example"} {
		// An old client: TLS 1.0 only.
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
			RootCAs: roots, ServerName: name, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10,
		})
		if err != nil {
			fmt.Println(name, "refused the TLS 1.0 client")
			continue
		}
		fmt.Println(name, "accepted", tls.VersionName(conn.ConnectionState().Version))
		conn.Close()
	}
	ev, _ := old.Last()
	fmt.Println("legacy handshakes:", old.Count(), "last:", ev.Side, ev.Host)
	// Output:
	// old.example accepted TLS 1.0
	// www.example refused the TLS 1.0 client
	// legacy handshakes: 1 last: server old.example
}

// One Counter may observe several Allow options at once: here a client
// and a server of the same program, so that one number says whether any
// old peer is left.
func ExampleObserve() {
	peers := newOldPeers()
	defer peers.close()
	peers.serve("printer.example", tls.VersionTLS10)

	var old legacy.Counter
	client := peers.client(legacy.Allow(legacy.ForHosts("printer.example"), legacy.Observe(&old), legacy.Quiet()))
	printGet(client, "printer.example")

	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificate(peers.certificate("old.example")),
		legacy.Allow(legacy.ForHosts("old.example"), legacy.Observe(&old), legacy.Quiet()))
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
			c.Close()
		}
	}()
	roots := x509.NewCertPool()
	roots.AddCert(peers.ca)
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ // an old client
		RootCAs: roots, ServerName: "old.example", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10,
	})
	if err != nil {
		log.Fatal(err)
	}
	conn.Close()

	peersSeen := old.Peers()
	fmt.Println("legacy handshakes:", old.Count())
	for _, name := range slices.Sorted(maps.Keys(peersSeen)) {
		fmt.Println(" ", name, peersSeen[name].Count)
	}
	// Output:
	// printer.example over TLS 1.0
	// legacy handshakes: 2
	//   old.example 1
	//   printer.example 1
}
