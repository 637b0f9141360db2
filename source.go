package tlsdefault

import (
	"crypto/tls"
	"errors"
	"io"
	"time"

	"github.com/tlsdefault/tlsdefault/internal"
)

// acmeALPN is ACME's TLS-ALPN-01 protocol (RFC 8737), acme.ALPNProto.
const acmeALPN = "acme-tls/1"

// checkServerSources checks how a server gets its certificate. needCert is
// set for Listen and NewListener, which cannot start without one;
// ServerConfig may return a config for the caller to complete.
func checkServerSources(s *internal.Settings, needCert bool) error {
	fixed := len(s.Certificates) > 0 || len(s.KeyPairFiles) > 0
	if s.CertSource != nil && fixed {
		return errors.New("tlsdefault: WithCertificateSource cannot be combined with WithCertificate or WithKeyPairFiles: give the server one way to get its certificate (a source that needs a fallback, for clients without SNI say, returns it from its own GetCertificate)")
	}
	if needCert && !fixed && s.CertSource == nil {
		return errors.New("tlsdefault: no server certificate; give one with WithCertificate, WithKeyPairFiles or WithCertificateSource (an ACME *autocert.Manager, say)")
	}
	if s.KeyPassword != nil && len(s.KeyPairFiles) == 0 {
		return errors.New("tlsdefault: WithKeyPassword applies to the key files of WithKeyPairFiles, and none is given (decrypt a key for WithCertificate yourself)")
	}
	return nil
}

// checkClientSources refuses the server-only options of this file on a
// client.
func checkClientSources(s *internal.Settings) error {
	switch {
	case s.CertSource != nil:
		return errors.New("tlsdefault: WithCertificateSource applies to servers (ServerConfig, Listen, NewListener, NewServer, Serve); a client presents WithCertificate or WithKeyPairFiles")
	case len(s.ALPN) > 0:
		return errors.New("tlsdefault: WithALPN applies to servers (ServerConfig, Listen, NewListener, NewServer, Serve); a client's protocols are those of http.Transport")
	case s.KeyPassword != nil && len(s.KeyPairFiles) == 0:
		return errors.New("tlsdefault: WithKeyPassword applies to the key files of WithKeyPairFiles, and none is given (decrypt a key for WithCertificate yourself)")
	}
	return nil
}

// plainHTTPReply is what http.Server.ServeTLS answers to a plain-HTTP
// request on a TLS port, byte for byte.
const plainHTTPReply = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"

// replyPlainHTTP answers a client that sent a plain-HTTP request instead
// of a TLS hello (curl http:// on an https port) with a 400, as
// http.Server.ServeTLS does, instead of an empty reply. crypto/tls keeps
// the connection in the RecordHeaderError only when it has sent nothing on
// it yet.
func replyPlainHTTP(err error) {
	re, ok := errors.AsType[tls.RecordHeaderError](err)
	if !ok || re.Conn == nil || !looksLikeHTTPRequest(re.RecordHeader[:]) {
		return
	}
	re.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(re.Conn, plainHTTPReply)
}

// fixedCertificates returns the certificates of ids when none of them is
// reloaded from files, and nil otherwise.
func fixedCertificates(ids []identity) []tls.Certificate {
	var out []tls.Certificate
	for _, id := range ids {
		if id.kp != nil {
			return nil
		}
		out = append(out, *id.cert)
	}
	return out
}
