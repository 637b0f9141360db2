package tlsdefault_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tlsdefault/tlsdefault"
)

// A program chooses what to do from HandshakeError.Cause, not from the
// text of Reason, which is meant for people.
func ExampleCause() {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()

	client, err := tlsdefault.NewClient() // the system store does not know httptest's certificate
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Get(ts.URL)
	var he *tlsdefault.HandshakeError
	if errors.As(err, &he) {
		switch he.Cause {
		case tlsdefault.CauseSelfSigned, tlsdefault.CauseUntrustedRoot, tlsdefault.CauseIncompleteChain:
			fmt.Println("not trusted:", he.Cause)
		case tlsdefault.CauseTimeout:
			fmt.Println("try again later")
		default:
			fmt.Println(he.Reason)
		}
	}
	// Output: not trusted: self-signed certificate
}

// A handshake made with tls.Dial and a config from ClientConfig is
// classified by Diagnose, as NewClient classifies its own.
func ExampleDiagnose() {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()

	cfg, err := tlsdefault.ClientConfig()
	if err != nil {
		log.Fatal(err)
	}
	cfg.ServerName = "example.com" // a name httptest's certificate lists
	conn, err := tls.Dial("tcp", strings.TrimPrefix(ts.URL, "https://"), cfg)
	if err != nil {
		he := tlsdefault.Diagnose(err)
		fmt.Println(he.Cause, "-", he.Side, "refused")
		return
	}
	conn.Close()
	// Output: self-signed certificate - client refused
}
