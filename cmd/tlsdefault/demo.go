package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// runDemo shows the defaults with no set-up: everything is made in memory
// and served on 127.0.0.1.
func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo")
	pos, err := parseFlags(fs, demoUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("demo: unexpected argument %q (demo takes none)", pos[0])
	}
	d := &demo{out: stdout, stderr: stderr}
	defer d.close()
	return d.run()
}

type demo struct {
	out, stderr io.Writer
	closers     []func()
}

func (d *demo) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

func (d *demo) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

func (d *demo) run() error {
	ca, err := newThrowawayCA()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	modern, err := ca.server("localhost", "127.0.0.1", "::1")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	old, err := ca.server("old.test", "other.test")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	quiet := log.New(io.Discard, "", 0)
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })

	// 1. A server on tlsdefault.Listen and a client from NewClient.
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificate(modern.tls()),
		tlsdefault.WithErrorLog(quiet))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	d.serve(ln, hello, quiet)
	url := "https://" + ln.Addr().String() + "/"

	d.printf("1. the defaults\n")
	d.printf("   a throwaway CA, made in memory; an HTTPS server on 127.0.0.1 (tlsdefault.Listen);\n")
	d.printf("   one client trusting only that CA (tlsdefault.NewClient(tlsdefault.WithCAData(ca)))\n")
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.certPEM()))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	client.Timeout = 5 * time.Second
	for i := 1; i <= 2; i++ {
		resp, err := d.fetch(client, url)
		if err != nil {
			return fmt.Errorf("demo: request %d: %w", i, err)
		}
		cs := resp.TLS
		d.printf("   request %d: %s %s, %s, %s, key exchange %s, alpn %s, resumed: %s\n",
			i, resp.Proto, resp.Status, versionName(cs.Version), suiteName(cs.CipherSuite), groupName(cs), alpnName(cs), yesNo(cs.DidResume))
		// Close the connection, so that the second request makes a new
		// one, which resumes the session from the ticket of the first.
		client.CloseIdleConnections()
	}

	// 2. A server that speaks only TLS 1.0, as an old appliance might:
	// plain crypto/tls, not tlsdefault.
	oldLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	oldCfg := &tls.Config{
		MinVersion:   tls.VersionTLS10,
		MaxVersion:   tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
		Certificates: []tls.Certificate{old.tls()},
	}
	d.serve(tls.NewListener(oldLn, oldCfg), hello, quiet)
	oldAddr := oldLn.Addr().String()
	_, port, _ := net.SplitHostPort(oldAddr)

	d.printf("\n2. a server that speaks only TLS 1.0 (plain crypto/tls, MinVersion = MaxVersion = TLS 1.0), as old.test\n")
	def, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.certPEM()))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	mapTestHosts(def, oldAddr)
	d.try(def, "old.test", port, "the default client")

	// 3. The legacy gate, scoped to old.test, with an observation hook.
	d.printf("\n3. the legacy gate: one client with legacy.Allow(legacy.ForHosts(\"old.test\"), legacy.OnHandshake(...))\n")
	var counter legacy.Counter
	var events []legacy.Event
	gated, err := tlsdefault.NewClient(
		tlsdefault.WithCAData(ca.certPEM()),
		legacy.Allow(
			legacy.ForHosts("old.test"),
			legacy.OnHandshake(func(ev legacy.Event) { events = append(events, ev) }),
			legacy.Observe(&counter),
			legacy.WarnTo(d.stderr),
		))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	mapTestHosts(gated, oldAddr)
	d.try(gated, "old.test", port, "in scope")
	for _, ev := range events {
		d.printf("   observed by the hook: %s\n", ev)
	}
	d.try(gated, "other.test", port, "same client, not in scope")
	d.printf("   legacy.Counter: %d legacy handshake(s)", counter.Count())
	for peer, pc := range counter.Peers() {
		d.printf(", %s: %d", peer, pc.Count)
	}
	d.printf("\n")
	d.printf("\nonly old.test went below TLS 1.2, and each time it did the hook saw it\n")
	return nil
}

// serve serves h on ln until the demo ends.
func (d *demo) serve(ln net.Listener, h http.Handler, errLog *log.Logger) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: errLog}
	go srv.Serve(ln)
	d.closers = append(d.closers, func() { srv.Close() })
}

// fetch gets url and reads the whole body, so that the TLS 1.3 session
// ticket that follows the handshake has been read too.
func (d *demo) fetch(c *http.Client, url string) (*http.Response, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return nil, err
	}
	return resp, nil
}

// try fetches https://host:port/ and says whether it was accepted or
// refused, and why.
func (d *demo) try(c *http.Client, host, port, who string) {
	d.closers = append(d.closers, c.CloseIdleConnections)
	resp, err := d.fetch(c, "https://"+net.JoinHostPort(host, port)+"/")
	if err != nil {
		d.printf("   %s (%s): refused: %s\n", host, who, reason(err))
		return
	}
	cs := resp.TLS
	d.printf("   %s (%s): accepted: %s %s, %s, %s\n", host, who, resp.Proto, resp.Status, versionName(cs.Version), suiteName(cs.CipherSuite))
}

// reason is the library's explanation of a failed request.
func reason(err error) string {
	if he, ok := errors.AsType[*tlsdefault.HandshakeError](err); ok && he.Reason != "" {
		return he.Reason
	}
	return err.Error()
}

// mapTestHosts makes the client's transport dial addr for every host under
// .test (RFC 2606), so that the demo can use names without DNS, and turns
// proxies off.
func mapTestHosts(c *http.Client, addr string) {
	t := c.Transport.(*http.Transport)
	t.Proxy = nil
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	t.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(a); err == nil && strings.HasSuffix(host, ".test") {
			a = addr
		}
		return dialer.DialContext(ctx, network, a)
	}
	c.Timeout = 5 * time.Second
}
