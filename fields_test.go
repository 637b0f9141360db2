package tlsdefault_test

import (
	"crypto/tls"
	"net/http"
	"reflect"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// tlsConfigFields records what tlsdefault decided for every exported field
// of tls.Config. When a Go release adds a field, this test fails until
// someone has decided what the new field means for security (as
// crypto/tls's own TestCloneNonFuncFields does for Clone).
var tlsConfigFields = map[string]string{
	"Rand":                                "default (crypto/rand)",
	"Time":                                "default (time.Now)",
	"Certificates":                        "server: the WithCertificate certificates when nothing is reloaded (for clients without SNI, and httptest); otherwise GetCertificate / GetClientCertificate serve WithCertificate, WithKeyPairFiles and WithCertificateSource",
	"NameToCertificate":                   "deprecated, unused",
	"GetCertificate":                      "server: picks among the configured identities, reloading files",
	"GetClientCertificate":                "client: presents WithCertificate / WithKeyPairFiles",
	"GetConfigForClient":                  "server: with legacy, to scope it by SNI; with a hashed capath or reloaded WithCAFile/WithCAPath files and WithClientAuth, the current ClientCAs per handshake; with WithPeerCheck, the checks around a replaced VerifyConnection; without legacy, GODEBUG=tlssha1=1 set after construction refused (returns nil: no clone)",
	"VerifyPeerCertificate":               "chain policy, as in VerifyConnection, so that replacing one leaves it; refuses unverified chains",
	"VerifyConnection":                    "chain policy; legacy scope; refuses unverified chains and sessions whose CA was deleted or removed from a reloaded file",
	"RootCAs":                             "client: trust options, never nil",
	"NextProtos":                          "server: h2, http/1.1; client: set by http.Transport",
	"ServerName":                          "client: set per connection by tls.Dial / the transport",
	"ClientAuth":                          "server: NoClientCert unless WithClientAuth; unverified modes refused",
	"ClientCAs":                           "server: trust options when WithClientAuth",
	"InsecureSkipVerify":                  "false, always (a hashed capath is verified by crypto/tls too); set, every handshake is refused",
	"CipherSuites":                        "explicit ECDHE+AEAD list (legacy widens)",
	"PreferServerCipherSuites":            "deprecated, ignored by crypto/tls",
	"SessionTicketsDisabled":              "false: resumption on",
	"SessionTicketKey":                    "default (random, rotated by crypto/tls); WithSessionTicketKeyFile sets keys with SetSessionTicketKeys",
	"ClientSessionCache":                  "client: an LRU cache per config (per version of the certificate with WithKeyPairFiles)",
	"UnwrapSession":                       "default; with WithSessionTicketKeyFile, re-reads the file, then DecryptTicket",
	"WrapSession":                         "default; with WithSessionTicketKeyFile, re-reads the file, then EncryptTicket",
	"MinVersion":                          "TLS 1.2 (WithMinVersion raises, legacy lowers)",
	"MaxVersion":                          "0: TLS 1.3",
	"CurvePreferences":                    "nil: Go's groups, X25519MLKEM768 first",
	"DynamicRecordSizingDisabled":         "default",
	"Renegotiation":                       "RenegotiateNever (default)",
	"KeyLogWriter":                        "SSLKEYLOGFILE only",
	"EncryptedClientHelloConfigList":      "unset (ECH needs per-host DNS data)",
	"EncryptedClientHelloRejectionVerify": "unset",
	"GetEncryptedClientHelloKeys":         "unset",
	"EncryptedClientHelloKeys":            "unset",
}

var transportFields = map[string]string{
	"Proxy":                  "cleanhttp: from the environment",
	"OnProxyConnectResponse": "unset",
	"DialContext":            "cleanhttp: 30 s dial timeout, keep-alive",
	"Dial":                   "deprecated, unset",
	"DialTLSContext":         "NewTransport: unset, so that net/http handshakes with TLSClientConfig (clones and changes hold); NewClient: the library's dialler",
	"DialTLS":                "deprecated, unset",
	"TLSClientConfig":        "ClientConfig",
	"TLSHandshakeTimeout":    "10 s (WithHandshakeTimeout)",
	"DisableKeepAlives":      "false",
	"DisableCompression":     "false (HTTP gzip, not TLS compression)",
	"MaxIdleConns":           "cleanhttp: 100",
	"MaxIdleConnsPerHost":    "cleanhttp: GOMAXPROCS+1",
	"MaxConnsPerHost":        "0: unlimited",
	"IdleConnTimeout":        "cleanhttp: 90 s",
	"ResponseHeaderTimeout":  "0, as the stdlib: use contexts",
	"ExpectContinueTimeout":  "cleanhttp: 1 s",
	"TLSNextProto":           "set by net/http for HTTP/2",
	"ProxyConnectHeader":     "unset",
	"GetProxyConnectHeader":  "unset",
	"MaxResponseHeaderBytes": "default",
	"WriteBufferSize":        "default",
	"ReadBufferSize":         "default",
	"ForceAttemptHTTP2":      "true",
	"HTTP2":                  "health-check pings: 30 s / 15 s",
	"Protocols":              "HTTP/1.1 and HTTP/2",
}

func checkFields(t *testing.T, v any, decided map[string]string) {
	t.Helper()
	typ := reflect.TypeOf(v)
	seen := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		seen[f.Name] = true
		if _, ok := decided[f.Name]; !ok {
			t.Errorf("%s.%s is new: decide what tlsdefault does with it and record it here (all fields must be accounted for)", typ, f.Name)
		}
	}
	for name := range decided {
		if !seen[name] {
			t.Errorf("%s.%s no longer exists; remove it from the list", typ, name)
		}
	}
}

func TestNewFieldsAreDecided(t *testing.T) {
	checkFields(t, tls.Config{}, tlsConfigFields)
	checkFields(t, http.Transport{}, transportFields)
}

// The values the decisions above promise, on a real client and server.
func TestDecidedValues(t *testing.T) {
	ca := testpki.NewCA(t)
	tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	c := tr.TLSClientConfig
	if c.InsecureSkipVerify || c.RootCAs == nil || c.MinVersion != tls.VersionTLS12 || c.ClientSessionCache == nil ||
		c.Renegotiation != tls.RenegotiateNever || c.VerifyConnection == nil || c.CurvePreferences != nil || c.SessionTicketsDisabled {
		t.Errorf("client config: %+v", c)
	}
	if !tr.ForceAttemptHTTP2 || tr.DialTLSContext != nil || tr.DialContext == nil || tr.DisableKeepAlives || c.VerifyPeerCertificate == nil {
		t.Errorf("transport: %+v", tr)
	}
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	if client.Transport.(*http.Transport).DialTLSContext == nil {
		t.Error("NewClient's transport has no dialler of its own")
	}
	s, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t).TLS()))
	if err != nil {
		t.Fatal(err)
	}
	if s.ClientAuth != tls.NoClientCert || s.MinVersion != tls.VersionTLS12 || s.GetCertificate == nil || s.SessionTicketsDisabled || s.GetConfigForClient == nil {
		t.Errorf("server config: %+v", s)
	}
}
