package legacy_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/legacy"
)

func ExampleAllow() {
	// An old printer that speaks only TLS 1.0, and another old server,
	// each with a certificate from a throwaway CA (see oldPeers).
	peers := newOldPeers()
	defer peers.close()
	peers.serve("printer.example.net", tls.VersionTLS10)
	peers.serve("old.example.net", tls.VersionTLS10)

	// WARNING: legacy.Allow re-opens attacks that the defaults close
	// (CBC padding oracles, BEAST, SWEET32, ROBOT; see the package
	// documentation). Limit it to the old peer by name, watch the counter,
	// and delete the option once the peer is upgraded or gone.
	var oldPeer legacy.Counter
	client, err := tlsdefault.NewClient(
		tlsdefault.WithCAData(peers.caDER),
		legacy.Allow(
			legacy.ForHosts("printer.example.net"), // speaks only TLS 1.0
			legacy.Observe(&oldPeer),
			legacy.WarnTo(os.Stdout), // standard error when not given
		),
	)
	if err != nil {
		log.Fatal(err)
	}
	client.Transport.(*http.Transport).DialContext = peers.dial // to the loopback servers

	// printer.example.net may use TLS 1.0; every other host through the
	// same client still needs TLS 1.2 with an AEAD suite.
	resp, err := client.Get("https://printer.example.net/status")
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(os.Stdout, resp.Body)
	resp.Body.Close()
	if _, err := client.Get("https://old.example.net/"); err != nil {
		fmt.Println("old.example.net refused")
	}

	if ev, ok := oldPeer.Last(); ok {
		fmt.Printf("%d legacy handshake, last: %v\n", oldPeer.Count(), ev)
	}
	// Output:
	// tlsdefault: warning: legacy client handshake with printer.example.net: TLS 1.0, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
	// printer.example.net over TLS 1.0
	// old.example.net refused
	// 1 legacy handshake, last: legacy client handshake with printer.example.net: TLS 1.0, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
}

func ExampleOnHandshake() {
	// A server that speaks only TLS 1.0.
	old := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from 2006")
	}))
	old.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}
	old.StartTLS()
	defer old.Close()

	// WARNING: see ExampleAllow. Here every legacy handshake is reported
	// to a callback instead of standard error.
	client, err := tlsdefault.NewClient(
		tlsdefault.WithCAData(old.Certificate().Raw),
		legacy.Allow(
			legacy.Quiet(),
			legacy.OnHandshake(func(ev legacy.Event) {
				fmt.Printf("legacy: %s with %s\n", tls.VersionName(ev.Version), ev.Host)
			}),
		),
	)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Get(old.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(body))
	// Output:
	// legacy: TLS 1.0 with 127.0.0.1
	// hello from 2006
}
