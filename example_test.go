package tlsdefault_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/tlsdefault/tlsdefault"
)

// A client with the safe defaults, trusting one CA given as DER bytes
// (Python's cadata). The peer here is an httptest server.
func Example() {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))
	defer ts.Close()

	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ts.Certificate().Raw))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Get(ts.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	fmt.Println(tls.VersionName(resp.TLS.Version))
	// Output:
	// hello
	// TLS 1.3
}

// NewClient with no option trusts the system store, like
// ssl.create_default_context() with no cafile, capath or cadata.
//
// This example has no output to check: it needs the internet, and what it
// prints depends on example.com. The runnable examples talk to servers on
// 127.0.0.1 instead.
func ExampleNewClient() {
	client, err := tlsdefault.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Get("https://example.com/")
	if err != nil {
		log.Fatal(err) // a *tlsdefault.HandshakeError explains TLS failures
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}

// Trust only a corporate CA bundle (Python's cafile): a server whose CA is
// not in it is refused, even one the system store would trust. Add
// WithSystemRoots to trust the system store as well.
func ExampleNewClient_caFile() {
	corpCert, corpCA := throwawayCert()
	corp := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "intranet")
	}))
	corp.TLS = &tls.Config{Certificates: []tls.Certificate{corpCert}}
	corp.StartTLS()
	defer corp.Close()
	other := httptest.NewUnstartedServer(http.NotFoundHandler()) // another CA
	other.Config.ErrorLog = log.New(io.Discard, "", 0)
	other.StartTLS()
	defer other.Close()

	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bundle := filepath.Join(dir, "ca-bundle.pem") // e.g. /etc/corp/ca-bundle.pem
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: corpCA}), 0o644); err != nil {
		log.Fatal(err)
	}

	client, err := tlsdefault.NewClient(tlsdefault.WithCAFile(bundle))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Get(corp.URL)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(os.Stdout, resp.Body)
	resp.Body.Close()

	_, err = client.Get(other.URL)
	var he *tlsdefault.HandshakeError
	fmt.Println("other CA refused:", errors.As(err, &he))
	// Output:
	// intranet
	// other CA refused: true
}

// NewTransport returns an *http.Transport to tune further: it is new on
// every call, so changing it changes nothing else.
func ExampleNewTransport() {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()

	tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ts.Certificate().Raw))
	if err != nil {
		log.Fatal(err)
	}
	tr.MaxIdleConnsPerHost = 64
	client := &http.Client{Transport: tr}
	resp, err := client.Get(ts.URL)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}

// ClientConfig gives the *tls.Config itself, for protocols other than HTTP.
func ExampleClientConfig() {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()

	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ts.Certificate().Raw))
	if err != nil {
		log.Fatal(err)
	}
	conn, err := tls.Dial("tcp", ts.Listener.Addr().String(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fmt.Println(tls.VersionName(conn.ConnectionState().Version))
	// Output: TLS 1.3
}

// A failed handshake explains itself and keeps the errors of crypto/x509
// reachable.
func ExampleHandshakeError() {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()

	client, err := tlsdefault.NewClient() // the system store does not know httptest's CA
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Get(ts.URL)
	var he *tlsdefault.HandshakeError
	var unknown x509.UnknownAuthorityError
	fmt.Println(errors.As(err, &he), he.Side, errors.As(err, &unknown))
	// Output: true client true
}

// NewListener wraps a listener made elsewhere (by systemd socket
// activation, say), here with a cap on open connections.
func ExampleNewListener() {
	inner, err := net.Listen("tcp", "127.0.0.1:0") // a real server: ":8443"
	if err != nil {
		log.Fatal(err)
	}
	cert, caDER := throwawayCert() // a real server: WithKeyPairFiles("cert.pem", "key.pem")
	ln, err := tlsdefault.NewListener(inner,
		tlsdefault.WithCertificate(cert),
		tlsdefault.WithMaxConns(1000))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from", r.Proto)
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
	resp, err := client.Get("https://" + inner.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output: hello from HTTP/2.0
}

// A server that requires client certificates issued by one CA (Python's
// verify_mode = CERT_REQUIRED on a CLIENT_AUTH context), with its
// ServerConfig in an http.Server of the program's own.
func ExampleServerConfig_mutualTLS() {
	ca := newExampleCA() // a real server: WithCAFile("clients-ca.pem")
	cfg, err := tlsdefault.ServerConfig(
		tlsdefault.WithCertificate(ca.issue(x509.ExtKeyUsageServerAuth, "127.0.0.1")), // or WithKeyPairFiles
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
		tlsdefault.WithCAData(ca.cert.Raw),
	)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{TLSConfig: cfg, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "hello", r.TLS.PeerCertificates[0].Subject.CommonName)
		})}
	go srv.ServeTLS(ln, "", "") // or srv.ListenAndServeTLS("", "") on srv.Addr
	defer srv.Close()

	for _, opts := range [][]tlsdefault.Option{
		{tlsdefault.WithCAData(ca.cert.Raw), tlsdefault.WithCertificate(ca.issue(x509.ExtKeyUsageClientAuth, "alice"))},
		{tlsdefault.WithCAData(ca.cert.Raw)}, // no client certificate
	} {
		client, err := tlsdefault.NewClient(opts...)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := client.Get("https://" + ln.Addr().String())
		if err != nil {
			var he *tlsdefault.HandshakeError
			if errors.As(err, &he) {
				fmt.Println("refused:", he.Cause)
			}
			continue
		}
		io.Copy(os.Stdout, resp.Body)
		resp.Body.Close()
	}
	// Output:
	// hello alice
	// refused: client certificate required
}

// A client certificate from files, picked up again when they change
// (checked at most once a second; this example does not wait for that).
func ExampleWithKeyPairFiles() {
	ca := newExampleCA()
	addr, stop := helloServer(
		tlsdefault.WithCertificate(ca.issue(x509.ExtKeyUsageServerAuth, "127.0.0.1")),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
		tlsdefault.WithCAData(ca.cert.Raw))
	defer stop()

	// The files an agent or cert-manager would keep up to date.
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	alice := ca.issue(x509.ExtKeyUsageClientAuth, "alice")
	keyDER, err := x509.MarshalPKCS8PrivateKey(alice.PrivateKey)
	if err != nil {
		log.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: alice.Certificate[0]}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	client, err := tlsdefault.NewClient(
		tlsdefault.WithCAData(ca.cert.Raw), // or WithCAFile("ca.pem")
		tlsdefault.WithKeyPairFiles(certFile, keyFile),
	)
	if err != nil {
		log.Fatal(err)
	}
	printGet(client, "https://"+addr)
	// Output: hello alice over TLS 1.3
}
