package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// hasControl reports whether s holds a C0 control other than newline, DEL
// or a C1 control: what must never reach the terminal from a peer.
func hasControl(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) {
			return true
		}
	}
	return false
}

// TestGetVerboseChainOnFailure checks that -v shows the chain the server
// sent when the handshake fails: from the verification error (an unknown
// CA, a wrong host) and, when the failure comes after the certificate was
// verified (the server wants a client certificate, TLS 1.2), from the
// VerifyConnection wrapper.
func TestGetVerboseChainOnFailure(t *testing.T) {
	ca := testpki.NewCA(t, testpki.CommonName("get -v test CA"))
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	other := testpki.NewCA(t)
	otherFile := other.WriteFile(t, t.TempDir(), "other.pem")
	srv := ca.Issue(t, testpki.CommonName("get -v test server"), testpki.Names("localhost", "127.0.0.1"))

	plain := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{srv.TLS()}})
	wantsCert := serveTLS(t, &tls.Config{
		Certificates: []tls.Certificate{srv.TLS()},
		MaxVersion:   tls.VersionTLS12,
		ClientAuth:   tls.RequireAnyClientCert,
	})
	_, port, _ := net.SplitHostPort(plain)

	for _, tt := range []struct {
		name string
		args []string
	}{
		{"unknown authority", []string{"--cafile", otherFile, "https://" + plain + "/"}},
		{"wrong host", []string{"--cafile", caFile, "--connect-to", plain, "https://wrong.test:" + port + "/"}},
		{"client certificate required", []string{"--cafile", caFile, "https://" + wantsCert + "/"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(append([]string{"get", "-v"}, tt.args...)...)
			if r.code != exitFailure {
				t.Fatalf("want exit code %d\n%s", exitFailure, r)
			}
			for _, want := range []string{"chain (as sent by the server, not accepted):", "0 subject: CN=get -v test server", "issuer:  CN=get -v test CA"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q\n%s", want, r)
				}
			}
			checkErrorLines(t, r.stderr)
		})
	}

	// Without -v, nothing of the chain is printed.
	r := runIn("get", "--cafile", otherFile, "https://"+plain+"/")
	if r.code != exitFailure || strings.Contains(r.stderr, "chain (as sent") {
		t.Errorf("without -v: %s", r)
	}
}

// TestGetConnectTo checks --connect-to: the connection goes to the address
// given, and the certificate must be valid for the URL's host.
func TestGetConnectTo(t *testing.T) {
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	addr := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "www.example.test").TLS()}})
	_, port, _ := net.SplitHostPort(addr)

	r := runIn("get", "-v", "--cafile", caFile, "--connect-to", addr, "https://www.example.test:"+port+"/")
	if r.code != 0 || r.stdout != "hello from the old server\n" {
		t.Fatalf("--connect-to: %s", r)
	}
	for _, want := range []string{"connecting to " + addr + " for www.example.test:" + port, "server name:  www.example.test", "chain (verified):"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r)
		}
	}

	// The name verified stays the URL's: another name fails, although
	// the address is the same.
	r = runIn("get", "--cafile", caFile, "--connect-to", addr, "https://other.example.test:"+port+"/")
	if r.code != exitFailure || !strings.Contains(r.stderr, "other.example.test") || !strings.Contains(r.stderr, "--connect-to HOST:PORT") {
		t.Errorf("--connect-to with a name the certificate lacks: want exit code %d\n%s", exitFailure, r)
	}

	// The URL's default port is the one mapped.
	r = runIn("get", "--cafile", caFile, "--connect-to", addr, "https://www.example.test/")
	if r.code != 0 {
		t.Errorf("--connect-to for port 443: %s", r)
	}
}

// TestGetPlainHTTP checks that the hint for a plain HTTP port can be
// followed: get https:// to it fails and says to use http://, and get
// http:// then works, with a warning that it is not TLS. A redirect from
// https:// to http:// is refused.
func TestGetPlainHTTP(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "plain hello\n")
	}))
	defer plain.Close()
	addr := strings.TrimPrefix(plain.URL, "http://")

	r := runIn("get", "https://"+addr+"/")
	hint := "fetch http://" + addr + "/ (plain HTTP"
	if r.code != exitFailure || !strings.Contains(r.stderr, "tlsdefault: hint: ") || !strings.Contains(r.stderr, hint) {
		t.Fatalf("https:// to a plain HTTP port: want exit code 1 and the hint %q\n%s", hint, r)
	}

	// The hint can be followed.
	r = runIn("get", "-v", "http://"+addr+"/")
	if r.code != 0 || r.stdout != "plain hello\n" {
		t.Fatalf("http://: %s", r)
	}
	for _, want := range []string{"tlsdefault: warning: http://" + addr + "/ is plain HTTP, not TLS", "tls:          none (plain HTTP)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("http://: stderr lacks %q\n%s", want, r)
		}
	}

	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	downgrade := httptest.NewUnstartedServer(http.RedirectHandler(plain.URL+"/", http.StatusFound))
	downgrade.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS()}}
	downgrade.StartTLS()
	defer downgrade.Close()
	r = runIn("get", "--cafile", caFile, downgrade.URL+"/")
	if r.code != exitFailure || !strings.Contains(r.stderr, "refusing to follow a redirect from https:// to http://") || r.stdout != "" {
		t.Errorf("redirect from https:// to http://: want exit code 1 and a refusal\n%s", r)
	}
}

// TestGetVerboseEscapesPeerText checks that the subject and names of a
// certificate and the reason phrase of the status line, which the server
// chooses, reach the terminal escaped.
func TestGetVerboseEscapesPeerText(t *testing.T) {
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	evil := "\x1b]0;owned\x07\x1b[2J\u202eFAKE: verified OK\u009b"
	leaf := ca.Issue(t, testpki.CommonName(evil), testpki.Names("127.0.0.1", "localhost", "x\x1b[1m.test"))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tln := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}})
	go func() {
		for {
			c, err := tln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 4096)
				c.Read(buf) // the request; its contents do not matter
				io.WriteString(c, "HTTP/1.1 404 Not\x1b]0;owned\x07 Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}()
		}
	}()

	r := runIn("get", "-v", "--cafile", caFile, "https://"+ln.Addr().String()+"/")
	if r.code != exitHTTPStatus {
		t.Fatalf("want exit code %d\n%s", exitHTTPStatus, r)
	}
	if hasControl(r.stderr) || strings.Contains(r.stderr, "\u202e") {
		t.Errorf("control characters reached stderr: %q", r.stderr)
	}
	for _, want := range []string{`0 subject: CN=\x1b]0\;owned\a\x1b[2J\u202eFAKE: verified OK\u009b`, `x\x1b[1m.test`, `the server answered 404 Not\x1b]0;owned\a Found`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r.stderr)
		}
	}
}

// TestLibWords checks that library messages reach the user in the words
// of the flags that set the options they name.
func TestLibWords(t *testing.T) {
	w := libWords{trust: &trustFlags{cadataFile: "data.pem"}, cert: "c.pem", key: "k.pem"}
	for in, want := range map[string]string{
		"tlsdefault: WithCAFile: capool: cafile ca.pem: no such file":                                       "--cafile ca.pem: no such file",
		"capool: capath dir: not a directory":                                                               "--capath dir: not a directory",
		"capool: capath f: is a file, not a directory (give a file as cafile)":                              "--capath f: is a file, not a directory (give a file as --cafile)",
		"tlsdefault: WithKeyPairFiles: c.pem: no such file":                                                 "--cert c.pem: no such file",
		"tlsdefault: WithKeyPairFiles: k.pem: no such file":                                                 "--key k.pem: no such file",
		"tlsdefault: WithKeyPairFiles: the key does not match":                                              "--cert and --key: the key does not match",
		"tlsdefault: WithKeyPairFiles: c.pem, k.pem: tls: failed to find any PEM data in certificate input": "--cert c.pem: tls: failed to find any PEM data in certificate input",
		"tlsdefault: WithKeyPairFiles: c.pem, k.pem: tls: failed to find any PEM data in key input":         "--key k.pem: tls: failed to find any PEM data in key input",
		"tlsdefault: WithKeyPairFiles: c.pem, k.pem: tls: private key does not match public key":            "--cert c.pem and --key k.pem: tls: private key does not match public key",
		"capool: cadata block 2: not a certificate":                                                         "--cadata-file data.pem block 2: not a certificate",
		"legacy: ForHosts: \"a b\" is not a host name":                                                      "--legacy-host: \"a b\" is not a host name",
		"add that CA with WithCAFile, WithCAPath or WithCAData":                                             "add that CA with --cafile, --capath or --cadata-file",
		"opt-in: legacy.Allow(legacy.ForHosts(...)) limits it":                                              "opt-in: --legacy-host HOST limits it",
		"legacy.Allow is given, but its ForHosts scope does not include":                                    "--legacy is given, but its ForHosts scope does not include",
	} {
		if got := w.rewrite(in); got != want {
			t.Errorf("rewrite(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// TestCommandTable checks that every command of the table is reachable,
// has its usage, is listed in the short usage and answers --help.
func TestCommandTable(t *testing.T) {
	short := shortUsage()
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("command %q is in the table twice", c.name)
		}
		seen[c.name] = true
		if c.run == nil || c.summary == "" {
			t.Errorf("command %q has no run function or summary", c.name)
		}
		if !strings.HasPrefix(c.usage, "Usage: tlsdefault "+c.name) {
			t.Errorf("usage of %q does not start with its name:\n%s", c.name, c.usage)
		}
		if !strings.Contains(short, "tlsdefault "+strings.TrimSpace(c.name+" "+c.args)) {
			t.Errorf("short usage does not list %q:\n%s", c.name, short)
		}
		if r := runIn(c.name, "--help"); r.code != 0 || r.stdout != c.usage {
			t.Errorf("%s --help:\n%s", c.name, r)
		}
		if r := runIn("help", c.name); r.code != 0 || r.stdout != c.usage {
			t.Errorf("help %s:\n%s", c.name, r)
		}
		for _, a := range c.aliases {
			if got, ok := lookup(a); !ok || got.name != c.name {
				t.Errorf("alias %q does not find %q", a, c.name)
			}
		}
	}
	if r := runIn("frob"); !strings.Contains(r.stderr, commandNames()) {
		t.Errorf("unknown command: the message does not list the commands\n%s", r)
	}
}

// TestPoolEscapesSubjects checks that pool prints a certificate's subject
// escaped, in the table and in the warnings about it.
func TestPoolEscapesSubjects(t *testing.T) {
	ca := testpki.NewCA(t, testpki.CommonName("\x1b]0;owned\x07\x1b[2Jevil CA"))
	leaf := ca.Issue(t, testpki.CommonName("\x1b[31mleaf\u202e"))
	dir := t.TempDir()
	file := ca.WriteFile(t, dir, "ca.pem")
	leafFile, _ := leaf.WriteFiles(t, dir)
	for _, f := range []string{file, leafFile} {
		r := runIn("pool", "--cafile", f)
		if r.code != 0 {
			t.Fatalf("pool --cafile %s: %s", f, r)
		}
		if hasControl(r.stdout) || hasControl(r.stderr) || strings.Contains(r.stdout+r.stderr, "\u202e") {
			t.Errorf("control characters reach the output: %q, %q", r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, `\x1b`) {
			t.Errorf("the escaped subject is not shown: %q", r.stdout)
		}
	}
	// The warning (a leaf is not a CA) names the subject escaped too.
	r := runIn("pool", "--cafile", leafFile)
	if !strings.Contains(r.stderr, `tlsdefault: warning: `) || !strings.Contains(r.stderr, `\x1b[31mleaf\u202e`) {
		t.Errorf("warning: %q", r.stderr)
	}
}
