package tlsdefault_test

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
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tlsdefault/tlsdefault"
)

// exampleCA is a throwaway CA for the examples; a real deployment has its
// certificates from files, ACME or an agent.
type exampleCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newExampleCA() *exampleCA {
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
	cert, _ := x509.ParseCertificate(der)
	return &exampleCA{cert: cert, key: key}
}

// issue makes a leaf for DNS names, IP addresses and URIs (SPIFFE IDs).
func (ca *exampleCA) issue(usage x509.ExtKeyUsage, names ...string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if u, err := url.Parse(n); err == nil && u.Scheme != "" {
			tmpl.URIs = append(tmpl.URIs, u)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// NewServer is the http.Server for a listener from Listen: header, idle
// and handshake timeouts, a header size cap, HTTP/2, and the listener's
// log. It replaces http.Serve(ln, handler), which has no timeouts.
func ExampleNewServer() {
	cert, caDER := throwawayCert()
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(cert))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s\n", r.Proto)
	}))
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(caDER))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Get("https://" + ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	fmt.Println("header timeout:", srv.ReadHeaderTimeout, "idle timeout:", srv.IdleTimeout)
	// Output:
	// hello over HTTP/2.0
	// header timeout: 10s idle timeout: 2m0s
}

// Serve is Listen and NewServer in one call, with graceful shutdown when
// the context is done (here at once, after one request).
func ExampleServe() {
	cert, caDER := throwawayCert()
	// A free port for the example; a real server names its own (":443").
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tlsdefault.Serve(ctx, addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "served")
		}), tlsdefault.WithCertificate(cert))
	}()

	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(caDER))
	if err != nil {
		log.Fatal(err)
	}
	var resp *http.Response
	for range 50 { // until Serve has bound the address
		if resp, err = client.Get("https://" + addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(os.Stdout, resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	stop()
	fmt.Println("Serve returned:", <-done)
	// Output:
	// served
	// Serve returned: <nil>
}

// siteCertificates is a CertificateSource: one certificate per SNI name, as
// a SPIFFE or Vault agent client, or *autocert.Manager, would give them.
type siteCertificates map[string]*tls.Certificate

func (s siteCertificates) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c, ok := s[hello.ServerName]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("no certificate for %q", hello.ServerName)
}

// A server whose certificates come from a source at handshake time. The
// library's policy still applies to them, and a name the source does not
// serve is refused (and logged, with the name).
func ExampleWithCertificateSource() {
	ca := newExampleCA()
	a := ca.issue(x509.ExtKeyUsageServerAuth, "a.example")
	b := ca.issue(x509.ExtKeyUsageServerAuth, "b.example")
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificateSource(siteCertificates{"a.example": &a, "b.example": &b}),
		tlsdefault.WithErrorLog(log.New(io.Discard, "", 0)))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "this is %s\n", r.TLS.ServerName)
	}))
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ca.cert.Raw))
	if err != nil {
		log.Fatal(err)
	}
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
	}
	client := &http.Client{Transport: tr}
	for _, name := range []string{"a.example", "b.example", "c.example"} {
		resp, err := client.Get("https://" + name + "/")
		if err != nil {
			fmt.Println(name, "refused")
			continue
		}
		io.Copy(os.Stdout, resp.Body)
		resp.Body.Close()
	}
	// Output:
	// this is a.example
	// this is b.example
	// c.example refused
}

// CertificateSource is met by *autocert.Manager (see the README's ACME
// section and interop/), by *certmagic.Config, and by one method of your
// own around a SPIFFE or Vault agent.
func ExampleCertificateSource() {
	var src tlsdefault.CertificateSource = siteCertificates{}
	_, err := src.GetCertificate(&tls.ClientHelloInfo{ServerName: "unknown.example"})
	fmt.Println(err)
	// Output: no certificate for "unknown.example"
}

// WithALPN adds "acme-tls/1" for ACME's TLS-ALPN-01 challenge: the source
// answers the validation in the handshake, and the listener closes such a
// connection instead of handing it to the http.Server.
func ExampleWithALPN() {
	ca := newExampleCA()
	site := ca.issue(x509.ExtKeyUsageServerAuth, "a.example")
	challenge := ca.issue(x509.ExtKeyUsageServerAuth, "a.example")
	src := sourceFunc(func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if slices.Equal(hello.SupportedProtos, []string{"acme-tls/1"}) {
			return &challenge, nil // what autocert does for a validation
		}
		return &site, nil
	})
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificateSource(src), tlsdefault.WithALPN("acme-tls/1"))
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
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "a.example", NextProtos: []string{"acme-tls/1"}})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = conn.Read(make([]byte, 1))
	fmt.Println("negotiated:", conn.ConnectionState().NegotiatedProtocol, "then closed:", errors.Is(err, io.EOF))
	// Output: negotiated: acme-tls/1 then closed: true
}

// WithPeerCheck adds an allow-list of SPIFFE IDs to a mutual-TLS server:
// it runs after the client certificate has been verified against the CA,
// at every handshake, resumed ones included.
func ExampleWithPeerCheck() {
	ca := newExampleCA()
	server := ca.issue(x509.ExtKeyUsageServerAuth, "127.0.0.1")
	web := ca.issue(x509.ExtKeyUsageClientAuth, "spiffe://example.org/web")
	batch := ca.issue(x509.ExtKeyUsageClientAuth, "spiffe://example.org/batch")
	allowed := func(cs tls.ConnectionState) error {
		for _, u := range cs.PeerCertificates[0].URIs {
			if u.String() == "spiffe://example.org/web" {
				return nil
			}
		}
		return errors.New("SPIFFE ID not allowed")
	}
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificate(server),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
		tlsdefault.WithCAData(ca.cert.Raw),
		tlsdefault.WithPeerCheck(allowed),
		tlsdefault.WithErrorLog(log.New(io.Discard, "", 0)))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "welcome %s\n", r.TLS.PeerCertificates[0].URIs[0])
	}))
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	for _, cert := range []tls.Certificate{web, batch} {
		client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.cert.Raw), tlsdefault.WithCertificate(cert))
		if err != nil {
			log.Fatal(err)
		}
		resp, err := client.Get("https://" + ln.Addr().String())
		if err != nil {
			fmt.Println("refused")
			continue
		}
		io.Copy(os.Stdout, resp.Body)
		resp.Body.Close()
	}
	// Output:
	// welcome spiffe://example.org/web
	// refused
}

// On a client, WithPeerCheck refuses a server by something the CA does not
// say, here a pinned certificate; the error wraps the check's.
func ExamplePeerCheckError() {
	cert, caDER := throwawayCert()
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(cert))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.NotFoundHandler())
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	errNotPinned := errors.New("not the pinned certificate")
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(caDER), tlsdefault.WithPeerCheck(func(cs tls.ConnectionState) error {
		return errNotPinned
	}))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Get("https://" + ln.Addr().String())
	var pe *tlsdefault.PeerCheckError
	var he *tlsdefault.HandshakeError
	fmt.Println(errors.As(err, &pe), errors.Is(err, errNotPinned), errors.As(err, &he) && he.Cause == tlsdefault.CausePeerCheck)
	// Output: true true true
}

// An encrypted private key (`openssl pkcs8 -topk8 -v2 aes-256-cbc`, or
// `openssl genpkey -aes256`), with its password read each time the key is
// read; a real server would read it from a secret file or an agent.
func ExampleWithKeyPassword() {
	password := func() ([]byte, error) {
		return []byte("correct-horse"), nil // e.g. os.ReadFile("/run/secrets/tls-key-password")
	}
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithKeyPairFiles("testdata/encrypted-key/cert.pem", "testdata/encrypted-key/key.pem"),
		tlsdefault.WithKeyPassword(password))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "served with the decrypted key")
	}))
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	client, err := tlsdefault.NewClient(tlsdefault.WithCAFile("testdata/encrypted-key/cert.pem"))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Get("https://" + ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)

	_, err = tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithKeyPairFiles("testdata/encrypted-key/cert.pem", "testdata/encrypted-key/key.pem"),
		tlsdefault.WithKeyPassword(func() ([]byte, error) { return []byte("wrong"), nil }))
	fmt.Println(strings.Contains(err.Error(), "testdata/encrypted-key/key.pem: the password of WithKeyPassword does not decrypt the key"))
	// Output:
	// served with the decrypted key
	// true
}

// ServerConfig with no certificate option: a CLIENT_AUTH-like config for
// the caller to complete, here with Certificates.
func ExampleServerConfig_noCertificate() {
	cfg, err := tlsdefault.ServerConfig()
	if err != nil {
		log.Fatal(err)
	}
	cert, _ := throwawayCert()
	cfg.Certificates = []tls.Certificate{cert}
	fmt.Println(tls.VersionName(cfg.MinVersion), cfg.NextProtos)
	// Output: TLS 1.2 [h2 http/1.1]
}
