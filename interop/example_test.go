package interop

import (
	"context"
	"log"
	"net/http"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/tlsdefault/tlsdefault"
)

// Certificates from Let's Encrypt by ACME's TLS-ALPN-01 challenge, on port
// 443: the autocert.Manager is the certificate source, and WithALPN lets
// the CA's validation connections reach it. The listener's handshake
// timeout, connection cap, policy checks and log apply as with any other
// certificate.
//
// Not run: it needs a public name pointing at this machine, port 443 and
// Let's Encrypt. TestAutocertTLSALPN01 runs the same code against Pebble on
// loopback.
func Example_autocert() {
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist("www.example.com"),
		Cache:      autocert.DirCache("/var/lib/myserver/acme"),
	}
	// The ACME client's own HTTPS calls go through a tlsdefault client.
	acmeHTTP, err := tlsdefault.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	m.Client = &acme.Client{DirectoryURL: autocert.DefaultACMEDirectory, HTTPClient: acmeHTTP}

	err = tlsdefault.Serve(context.Background(), ":443", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello\n"))
	}), tlsdefault.WithCertificateSource(m), tlsdefault.WithALPN(acme.ALPNProto))
	log.Fatal(err)
}
