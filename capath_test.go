package tlsdefault_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// A hashed capath is consulted at handshake time, as OpenSSL does: a CA
// added to the directory after the client was built is trusted on the next
// handshake, and IP addresses are still checked.
func TestHashedCAPathIsLazy(t *testing.T) {
	dir := t.TempDir()
	first := testpki.NewCA(t)
	first.WriteFile(t, dir, "first.pem")
	if err := capool.Rehash(dir); err != nil {
		t.Fatal(err)
	}
	client, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	addr1 := serveHTTPS(t, plainServer(first.Server(t)), nil)
	for _, host := range []string{"localhost", "127.0.0.1"} {
		if _, _, err := get(t, client, "https://"+host+":"+port(addr1)); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
	}

	// A server from a CA not yet in the directory is refused...
	second := testpki.NewCA(t)
	addr2 := serveHTTPS(t, plainServer(second.Server(t)), nil)
	_, _, err = get(t, client, "https://127.0.0.1:"+port(addr2))
	ua := mustAs[x509.UnknownAuthorityError](t, err)
	_ = ua
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error does not name the capath: %v", err)
	}
	// ...and accepted once the CA is added and the directory rehashed,
	// with the same client.
	second.WriteFile(t, dir, "second.pem")
	if err := capool.Rehash(dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(t, client, "https://127.0.0.1:"+port(addr2)); err != nil {
		t.Fatalf("CA added to the directory not trusted: %v", err)
	}

	// Host names are still checked in lazy mode.
	wrong := serveHTTPS(t, plainServer(first.Issue(t, testpki.WrongHost())), nil)
	_, _, err = get(t, client, "https://127.0.0.1:"+port(wrong))
	mustAs[x509.HostnameError](t, err)

	// ClientConfig with tls.Dial works by name and by IP address:
	// crypto/tls verifies against the CAs the directory held when
	// ClientConfig was called, and checks the name or the address.
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"localhost:" + port(addr1), addr1} {
		c, err := tls.Dial("tcp", a, cfg)
		if err != nil {
			t.Fatalf("tls.Dial %s: %v", a, err)
		}
		c.Close()
	}
	noIP := serveHTTPS(t, plainServer(first.Server(t, "localhost")), nil)
	if c, err := tls.Dial("tcp", noIP, cfg); err == nil {
		c.Close()
		t.Fatal("tls.Dial by IP accepted a certificate without that IP address")
	} else {
		mustAs[x509.HostnameError](t, err)
	}

	// The chain policy applies to CAs found in the directory too.
	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
	rsaCA.WriteFile(t, dir, "rsa.pem")
	if err := capool.Rehash(dir); err != nil {
		t.Fatal(err)
	}
	weak := serveHTTPS(t, plainServer(rsaCA.Issue(t, testpki.RSABits(1024))), nil)
	_, _, err = get(t, client, "https://127.0.0.1:"+port(weak))
	wantPolicy(0, "1024 bits")(t, err)
}

func TestHashedCAPathClientAuth(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	ca.WriteFile(t, dir, "ca.pem")
	other := testpki.NewCA(t)
	if err := capool.Rehash(dir); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []tls.ClientAuthType{tls.RequireAndVerifyClientCert, tls.VerifyClientCertIfGiven} {
		ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()),
			tlsdefault.WithClientAuth(mode), tlsdefault.WithCAPath(dir), tlsdefault.WithErrorLog(quietLog()))
		if err != nil {
			t.Fatal(err)
		}
		addr := serveListener(t, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.TLS.PeerCertificates) > 0 {
				w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
			}
		}))
		good, _ := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithCertificate(ca.Client(t, "alice").TLS()))
		if _, body, err := get(t, good, "https://"+addr); err != nil || body != "alice" {
			t.Fatalf("%v: good client: %q %v", mode, body, err)
		}
		bad := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c := other.Client(t, "mallory").TLS()
			return &c, nil
		}}
		c, err := tls.Dial("tcp", addr, bad)
		if err == nil {
			_, err = c.Read(make([]byte, 1))
			c.Close()
		}
		if err == nil {
			t.Fatalf("%v: client from an unknown CA accepted", mode)
		}
		none, _ := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
		_, _, err = get(t, none, "https://"+addr)
		if (err == nil) != (mode == tls.VerifyClientCertIfGiven) {
			t.Fatalf("%v: client without certificate: %v", mode, err)
		}
	}
}
