package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// explain turns a failed request into error and hint lines: the library's
// explanation of a failed handshake, and what to try with this command's
// flags. Hints are chosen from the HandshakeError's Cause and alert only.
func (c *getCmd) explain(err error, u *url.URL, pool *capool.Pool) error {
	var inner error = err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	he, ok := errors.AsType[*tlsdefault.HandshakeError](inner)
	if !ok {
		he, ok = c.afterHandshake(inner)
	}
	if !ok && strings.Contains(inner.Error(), "is in the scope of legacy.ForHosts, but the request goes through") {
		// The library refused the request before any handshake: through a
		// proxy net/http handshakes with the strict TLSClientConfig.
		host := u.Hostname()
		if ue != nil {
			if ru, err := url.Parse(ue.URL); err == nil && ru.Hostname() != "" {
				host = ru.Hostname() // a redirect's host
			}
		}
		return &cliError{code: exitFailure,
			msgs:  []string{fmt.Sprintf("get %s: %s is in the scope of --legacy-host, but the request goes through a proxy (HTTPS_PROXY), where the old versions cannot be offered to that host alone; the request was not sent", u.Redacted(), safetext.Quote(host))},
			hints: []string{fmt.Sprintf("exempt the host from the proxy with NO_PROXY=%s, or give --legacy instead of --legacy-host (every host the request reaches, redirects included, may then use the old versions)", host)},
		}
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
	msg := "handshake failed"
	if he.Host != "" {
		msg = fmt.Sprintf("handshake with %s failed", he.Host)
	}
	if he.Reason != "" {
		msg += ": " + he.Reason
	}
	ce.msgs = append(ce.msgs, msg, "cause: "+he.Cause.String()+": "+safetext.Escape(he.Err.Error(), 1024))
	ce.hints = append(ce.hints, c.hints(he, u, pool)...)
	return ce
}

// hints are the lines that say what to try with this command's flags, for
// the cause of a failed handshake.
func (c *getCmd) hints(he *tlsdefault.HandshakeError, u *url.URL, pool *capool.Pool) []string {
	host := u.Hostname()
	trustHint := func(what string) string {
		if pool == nil {
			return "only the system store was trusted; " + what + " with --cafile, --capath or --cadata-file (a server started with 'tlsdefault serve' names its ca.pem)"
		}
		return "trusted: " + pool.Describe() + "; " + what + " with --cafile, --capath or --cadata-file"
	}
	legacyHint := func() []string {
		if !c.legacy.on() {
			return []string{
				fmt.Sprintf("if this server cannot be upgraded, allow TLS 1.0 and 1.1, CBC, RSA key exchange and 3DES for this host only: tlsdefault get --legacy-host %s %s", host, u.Redacted()),
				"--legacy-host weakens the connection to that host (no forward secrecy with RSA key exchange, CBC padding oracles); see 'tlsdefault get --help'",
			}
		}
		return []string{"legacy mode was on for this host and did not help: Go cannot reach DHE-only or SSL 3.0 servers; a TLS 1.2 server that signs only with SHA-1 also needs GODEBUG=tlssha1=1 in the environment, which weakens the connections to every host, not only this one"}
	}
	switch he.Cause {
	case tlsdefault.CauseSelfSigned:
		return []string{trustHint("if this is the server you mean, trust its certificate itself")}
	case tlsdefault.CauseUntrustedRoot:
		return []string{trustHint("trust the server's root CA")}
	case tlsdefault.CauseIncompleteChain:
		return []string{trustHint("add the server's CA"), "if that CA is an intermediate, the server must send it with its certificate (its chain file)"}
	case tlsdefault.CauseHostname:
		return []string{"put a name the certificate lists in the URL, or keep the URL and try the server that should answer for it with --connect-to HOST:PORT"}
	case tlsdefault.CauseExpired:
		return []string{"the server's certificate must be renewed; trusting more CAs does not help"}
	case tlsdefault.CauseNotYetValid:
		return []string{"check the clocks of this machine and of the server"}
	case tlsdefault.CausePolicy, tlsdefault.CauseCANotAuthorized, tlsdefault.CauseUsage, tlsdefault.CauseBadCertificate:
		return []string{"the server needs another certificate; no flag of this command changes that"}
	case tlsdefault.CauseClientCertRequired:
		if c.cert != "" {
			return []string{"the server found no acceptable certificate in --cert " + c.cert + "; give one issued by a CA it trusts"}
		}
		return []string{"give a client certificate with --cert FILE --key FILE"}
	case tlsdefault.CauseClientCertRefused:
		if c.cert != "" {
			return []string{"the server did not accept --cert " + c.cert + "; check that it trusts the CA that issued it"}
		}
		return []string{"the server may require a client certificate: give one with --cert FILE --key FILE"}
	case tlsdefault.CauseOldVersion, tlsdefault.CauseNoCommonSuite:
		return legacyHint()
	case tlsdefault.CauseLegacyOutOfScope:
		return []string{fmt.Sprintf("--legacy-host names %s, not %s; add --legacy-host %s if this server cannot be upgraded", strings.Join(c.legacy.hosts, ", "), host, host)}
	case tlsdefault.CauseTimeout:
		return []string{"the server did not complete the handshake in time; check the port, or give more time with --timeout"}
	case tlsdefault.CausePlainHTTP:
		return []string{"this port speaks plain HTTP: give the server's TLS port, or fetch " + httpURL(u) + " (plain HTTP: nothing is encrypted and the server is not authenticated)"}
	case tlsdefault.CauseNotTLS:
		return []string{"check the port: the server there does not speak TLS"}
	case tlsdefault.CauseAlert:
		if a, ok := he.Alert(); ok && a == 40 && c.cert == "" { // handshake_failure
			return []string{"the server may require a client certificate: give one with --cert FILE --key FILE"}
		}
	}
	return nil
}

// afterHandshake explains an alert that arrived after the client's side of
// the handshake was done and after the library's wait for it (a TLS 1.3
// server that takes long to refuse the client certificate): the request
// fails with "remote error: tls: ...", which tlsdefault.Diagnose
// classifies.
func (c *getCmd) afterHandshake(err error) (*tlsdefault.HandshakeError, bool) {
	he := tlsdefault.Diagnose(err)
	if _, isAlert := he.Alert(); !isAlert {
		return nil, false
	}
	return he, true
}
