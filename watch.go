package tlsdefault

import (
	"context"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"
	"net"
	"time"
)

// handshakeWatch records the course of one client handshake that an
// error alone does not tell: whether the server asked for a certificate
// (CertificateRequest) and whether this client sent one. It is used by one
// handshake, in the goroutine that runs it.
type handshakeWatch struct {
	requested     bool
	sent          bool
	withheld      bool     // the client has certificates, and none suited the request
	acceptable    []string // the CAs the server named, as text (the peer's: quote it)
	afterFinished bool
}

// getClientCertificate wraps cfg's certificate selection (its
// GetClientCertificate, or crypto/tls's choice from cfg.Certificates) to
// record the request and the answer.
func (w *handshakeWatch) getClientCertificate(cfg *tls.Config) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	inner, certs := cfg.GetClientCertificate, cfg.Certificates
	return func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		w.requested = true
		w.acceptable = w.acceptable[:0]
		for _, der := range cri.AcceptableCAs {
			var rdn pkix.RDNSequence
			if rest, err := asn1.Unmarshal(der, &rdn); err == nil && len(rest) == 0 {
				var n pkix.Name
				n.FillFromRDNSequence(&rdn)
				w.acceptable = append(w.acceptable, n.String())
			}
		}
		var cert *tls.Certificate
		var err error
		if inner != nil {
			cert, err = inner(cri)
		} else {
			for i := range certs {
				if cri.SupportsCertificate(&certs[i]) == nil {
					cert = &certs[i]
					break
				}
			}
		}
		if err == nil && cert == nil {
			cert = new(tls.Certificate) // none: crypto/tls sends an empty Certificate message
		}
		w.sent = err == nil && len(cert.Certificate) > 0
		w.withheld = err == nil && !w.sent && (inner != nil || len(certs) > 0)
		return cert, err
	}
}

// peekConn is the connection under a client's *tls.Conn: it can read the
// first bytes after the handshake ahead of crypto/tls and hands them to it
// first.
type peekConn struct {
	net.Conn
	hdr [5]byte
	buf []byte
}

func (c *peekConn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// Bounds of the wait for a TLS 1.3 server's verdict on the client
// certificate: twice the handshake's duration plus verdictSlack, at most
// verdictMax.
const (
	verdictSlack = 100 * time.Millisecond
	verdictMax   = 2 * time.Second
)

// alertRecordLen is the length of an encrypted TLS 1.3 record that holds
// one alert: two bytes of alert, the inner content type, the 16-byte AEAD
// tag (no padding, as crypto/tls, OpenSSL and BoringSSL send it).
const alertRecordLen = 2 + 1 + 16

// awaitVerdict waits, after a TLS 1.3 handshake in which the server asked
// for a client certificate, for the server's first record. A server that
// refuses the certificate (or requires one it did not get) answers the
// client's last flight with an alert; one that accepts it sends session
// tickets or, later, application data. The first record's header is read
// ahead (peekConn keeps it for crypto/tls); only when it is the size of an
// alert does crypto/tls read the record, and its error (the alert) is
// returned. A server that says nothing within the wait (no session
// tickets, HTTP/1.1) is taken to have accepted: the wait is twice the
// handshake's duration plus 100 ms, at most 2 s, and never past ctx's
// deadline.
func awaitVerdict(ctx context.Context, pc *peekConn, tc *tls.Conn, took time.Duration) error {
	deadline := time.Now().Add(min(2*took+verdictSlack, verdictMax))
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	pc.Conn.SetReadDeadline(deadline)
	n, err := io.ReadFull(pc.Conn, pc.hdr[:])
	pc.buf = pc.hdr[:n]
	pc.Conn.SetReadDeadline(time.Time{})
	if err != nil {
		if n == 0 && isClosed(err) {
			return err // closed after the client's certificate, with no alert
		}
		return nil // silence: accepted, or a verdict that comes later
	}
	if pc.hdr[0] != 23 || int(pc.hdr[3])<<8|int(pc.hdr[4]) != alertRecordLen {
		return nil // a session ticket or application data
	}
	tc.SetReadDeadline(time.Now().Add(verdictMax))
	var b [1]byte
	_, err = tc.Read(b[:])
	tc.SetReadDeadline(time.Time{})
	if err != nil {
		return err
	}
	// Two bytes of application data unasked, which no server of HTTP
	// sends: one of them is consumed, so the connection cannot be used.
	return errors.New("tlsdefault: the server sent data before the request; the connection cannot be used")
}

// helloKey is the context key of a server handshake's helloWatch.
type helloKey struct{}

// helloWatch records the name (SNI) a client asked for, for the
// explanation of a failed handshake; noteHello fills it in from the
// ClientHello, where the config's hooks see it.
type helloWatch struct {
	sni  string
	seen bool
}

// noteHello records hello's server name in the helloWatch of its
// handshake's context, if there is one.
func noteHello(hello *tls.ClientHelloInfo) {
	if w, ok := hello.Context().Value(helloKey{}).(*helloWatch); ok {
		w.sni, w.seen = hello.ServerName, true
	}
}
