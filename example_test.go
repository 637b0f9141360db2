package tlsdefault_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"

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

// Trust only a corporate CA bundle (Python's cafile); add WithSystemRoots to
// trust the system store as well.
func ExampleNewClient_caFile() {
	client, err := tlsdefault.NewClient(tlsdefault.WithCAFile("/etc/corp/ca-bundle.pem"))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Get("https://intranet.corp.example/")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
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

// NewListener wraps a listener made elsewhere, here with a cap on open
// connections.
func ExampleNewListener() {
	inner, err := net.Listen("tcp", ":8443")
	if err != nil {
		log.Fatal(err)
	}
	ln, err := tlsdefault.NewListener(inner,
		tlsdefault.WithKeyPairFiles("cert.pem", "key.pem"),
		tlsdefault.WithMaxConns(1000))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(ln, http.NotFoundHandler()))
}

// A server that requires client certificates issued by one CA (Python's
// verify_mode = CERT_REQUIRED on a CLIENT_AUTH context).
func ExampleServerConfig_mutualTLS() {
	cfg, err := tlsdefault.ServerConfig(
		tlsdefault.WithKeyPairFiles("server.pem", "server-key.pem"),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
		tlsdefault.WithCAFile("clients-ca.pem"),
	)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: ":8443", TLSConfig: cfg, ReadHeaderTimeout: 10e9}
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

// A client certificate from files, picked up again when they change.
func ExampleWithKeyPairFiles() {
	client, err := tlsdefault.NewClient(
		tlsdefault.WithCAFile("ca.pem"),
		tlsdefault.WithKeyPairFiles("client.pem", "client-key.pem"),
	)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Get("https://mtls.example/")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
}
