package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal"
)

// explain turns a failed request into error and hint lines: the library's
// explanation of a failed handshake, and what to try with this command's
// flags.
func (c *getCmd) explain(err error, u *url.URL, pool *capool.Pool) error {
	var inner error = err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	host := u.Hostname()

	he, ok := errors.AsType[*tlsdefault.HandshakeError](inner)
	if !ok {
		he, ok = c.afterHandshake(inner, u, pool)
	}
	if !ok {
		ce := &cliError{code: exitFailure, msgs: []string{fmt.Sprintf("get %s: %v", u.Redacted(), inner)}}
		var ne net.Error
		if errors.Is(inner, context.DeadlineExceeded) || (errors.As(inner, &ne) && ne.Timeout()) {
			ce.hints = append(ce.hints, fmt.Sprintf("no answer within %s; give more time with --timeout", c.timeout))
		}
		return ce
	}

	ce := &cliError{code: exitFailure}
	msg := fmt.Sprintf("handshake with %s failed", he.Host)
	if he.Reason != "" {
		msg += ": " + he.Reason
	}
	ce.msgs = append(ce.msgs, msg, "cause: "+he.Err.Error())

	alert, hasAlert := he.Alert()
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(he, &unknown):
		if pool == nil {
			ce.hints = append(ce.hints, "only the system store was trusted; trust the server's CA with --cafile, --capath or --cadata-file (a server started with 'tlsdefault serve' names its ca.pem)")
		} else {
			ce.hints = append(ce.hints, "trusted: "+pool.Describe()+"; add the server's CA with --cafile, --capath or --cadata-file")
		}
	case errors.As(he, &hostname):
		ce.hints = append(ce.hints, "put a name the certificate lists in the URL")
	case hasAlert && alert == 116: // certificate_required
		ce.hints = append(ce.hints, "give a client certificate with --cert FILE --key FILE")
	case hasAlert && (alert == 42 || alert == 46 || alert == 48) && c.cert != "": // bad_certificate, certificate_unknown, unknown_ca
		ce.hints = append(ce.hints, "the server did not accept --cert "+c.cert+"; check that it trusts the CA that issued it")
	case hasAlert && (alert == 42 || alert == 116) && c.cert == "":
		ce.hints = append(ce.hints, "the server may require a client certificate: give one with --cert FILE --key FILE")
	case strings.Contains(he.Reason, "protocol or cipher suite mismatch") && !c.legacy.on():
		ce.hints = append(ce.hints,
			fmt.Sprintf("if this server cannot be upgraded, allow TLS 1.0 and 1.1, CBC, RSA key exchange and 3DES for this host only: tlsdefault get --legacy-host %s %s", host, u.Redacted()),
			"--legacy-host weakens the connection to that host (no forward secrecy with RSA key exchange, CBC padding oracles); see 'tlsdefault get --help'")
	case strings.Contains(he.Reason, "protocol or cipher suite mismatch") && len(c.legacy.hosts) > 0 && !strings.Contains(he.Reason, "still did not help"):
		ce.hints = append(ce.hints, fmt.Sprintf("--legacy-host names %s, not %s; add --legacy-host %s if this server cannot be upgraded", strings.Join(c.legacy.hosts, ", "), host, host))
	case c.legacy.on() && strings.Contains(he.Err.Error(), "signature"):
		ce.hints = append(ce.hints, "a TLS 1.2 peer that signs with SHA-1 also needs GODEBUG=tlssha1=1 in the environment")
	}
	return ce
}

// afterHandshake explains a refusal that came after the client's side of
// the handshake was done. With TLS 1.3 the client finishes its handshake
// before the server has checked the client certificate, so a server that
// refuses it (or requires one) answers the first request with an alert,
// which the library's dialler never sees: the request fails with "remote
// error: tls: ...", or, when the server's close overtakes the alert, with
// a broken pipe, a reset or "http2: client conn could not be established".
// In those cases, when a handshake had completed, the command dials once
// more, says nothing after the handshake and reads the alert the server
// sends, so that it can say which it was.
func (c *getCmd) afterHandshake(err error, u *url.URL, pool *capool.Pool) (*tlsdefault.HandshakeError, bool) {
	if _, isAlert := internal.RemoteAlert(err); !isAlert {
		var ne net.Error
		if !c.handshakeDone.Load() || (errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, context.DeadlineExceeded) {
			return nil, false
		}
		probed := c.probeAlert(u)
		if probed == nil {
			return nil, false
		}
		err = probed
	}
	trust := "system store"
	if pool != nil {
		trust = pool.Describe()
	}
	return errors.AsType[*tlsdefault.HandshakeError](internal.Explain(err, internal.Context{
		Side: "client", Host: u.Hostname(), Trust: trust, Legacy: c.legacy.on(),
	}))
}

// probeAlert dials u's host directly (not through a proxy) with the
// command's client settings, completes the handshake, sends nothing and
// returns the alert the server sends within two seconds, or nil.
func (c *getCmd) probeAlert(u *url.URL) error {
	if p, _ := http.ProxyFromEnvironment(&http.Request{URL: u}); p != nil {
		return nil
	}
	cfg, err := tlsdefault.ClientConfig(c.opts...)
	if err != nil {
		return nil
	}
	cfg.ServerName = u.Hostname()
	cfg.NextProtos = []string{"h2", "http/1.1"}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if _, ok := internal.RemoteAlert(err); ok {
			return err
		}
		return nil
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = conn.Read(make([]byte, 1))
	if _, ok := internal.RemoteAlert(err); ok {
		return err
	}
	return nil
}
