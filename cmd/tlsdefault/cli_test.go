package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, dir, "ca.pem")
	leaf := ca.Server(t)
	certFile, keyFile := leaf.WriteFiles(t, dir)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"), 0o644)
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name string
		args []string
		want string // in the one stderr line
	}{
		{"unknown command", []string{"frob"}, `unknown command "frob"`},
		{"get no url", []string{"get"}, "no URL given"},
		{"get two urls", []string{"get", "https://a/", "https://b/"}, "one too many"},
		{"get unknown flag", []string{"get", "--frob", "https://a/"}, "flag provided but not defined: --frob"},
		{"get flag without value", []string{"get", "https://a/", "-o"}, "flag needs an argument: -o"},
		{"get bad timeout", []string{"get", "--timeout", "soon", "https://a/"}, "--timeout"},
		{"get cert without key", []string{"get", "--cert", certFile, "https://a/"}, "--cert needs --key"},
		{"get key without cert", []string{"get", "--key", keyFile, "https://a/"}, "--key needs --cert"},
		{"get legacy and legacy-host", []string{"get", "--legacy", "--legacy-host", "a", "https://a/"}, "--legacy and --legacy-host contradict"},
		// Conflicts are reported before any file is looked at.
		{"get conflict before files", []string{"get", "--legacy", "--legacy-host", "a", "--cafile", missing, "https://a/"}, "contradict"},
		{"get http url", []string{"get", "http://a/"}, "not an https:// URL"},
		{"get empty cafile", []string{"get", "--cafile", "", "https://a/"}, "--cafile is empty"},
		{"get missing cafile", []string{"get", "--cafile", missing, "https://a/"}, "missing.pem: no such file"},
		{"get malformed cafile", []string{"get", "--cafile", garbage, "https://a/"}, "block 1"},
		{"get missing cert", []string{"get", "--cert", missing, "--key", keyFile, "https://a/"}, "missing.pem"},
		{"get bad legacy host", []string{"get", "--legacy-host", "https://a/", "https://a/"}, "not a host name"},
		{"serve bad client-auth", []string{"serve", "--client-auth", "maybe"}, `--client-auth "maybe"`},
		{"serve cert without key", []string{"serve", "--cert", certFile}, "--cert needs --key"},
		{"serve cafile without client-auth", []string{"serve", "--cafile", caFile}, "give --client-auth optional or required"},
		{"serve client-auth without CA", []string{"serve", "--cert", certFile, "--key", keyFile, "--client-auth", "required"}, "give --cafile or --capath"},
		{"serve dir-out with cert", []string{"serve", "--cert", certFile, "--key", keyFile, "--dir-out", dir}, "--dir-out"},
		{"serve missing dir", []string{"serve", "--dir", missing}, "--dir"},
		{"serve argument", []string{"serve", "now"}, `unexpected argument "now"`},
		{"serve legacy and legacy-host", []string{"serve", "--legacy", "--legacy-host", "a"}, "contradict"},
		{"pool argument", []string{"pool", caFile}, "unexpected argument"},
		{"pool unknown flag", []string{"pool", "--yaml"}, "flag provided but not defined: --yaml"},
		{"rehash no dir", []string{"rehash"}, "no directory given"},
		{"rehash missing dir", []string{"rehash", missing}, "no such file"},
		{"rehash file", []string{"rehash", caFile}, "not a directory"},
		{"demo argument", []string{"demo", "fast"}, "unexpected argument"},
		{"version argument", []string{"version", "x"}, "unexpected argument"},
		{"help unknown", []string{"help", "frob"}, `unknown command "frob"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(tt.args...)
			if r.code != exitUsage {
				t.Fatalf("exit code %d, want %d\n%s", r.code, exitUsage, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("want one line on stderr, got %d:\n%s", len(lines), r.stderr)
			}
			if !strings.HasPrefix(lines[0], "tlsdefault: error: ") {
				t.Errorf("stderr %q does not start with \"tlsdefault: error: \"", lines[0])
			}
			if !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr %q does not contain %q", lines[0], tt.want)
			}
			checkErrorLines(t, r.stderr)
		})
	}
}

// TestUsageErrorsBinary checks the exit code of the real binary.
func TestUsageErrorsBinary(t *testing.T) {
	r := runBin(t, "get", "--nope", "https://example.com/")
	if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "tlsdefault: error: get: flag provided but not defined: --nope") {
		t.Errorf("want one usage line and exit code 2\n%s", r)
	}
	r = runBin(t)
	if r.code != exitUsage || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no arguments: want the short usage on stderr and exit code 2\n%s", r)
	}
}

func TestHelp(t *testing.T) {
	for _, sub := range []string{"get", "serve", "pool", "rehash", "demo", "version"} {
		for _, h := range []string{"--help", "-h", "-help"} {
			r := runIn(sub, h)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%s %s:\n%s", sub, h, r)
			}
			if !strings.HasPrefix(r.stdout, "Usage: tlsdefault "+sub) {
				t.Errorf("%s %s: usage does not start with \"Usage: tlsdefault %s\":\n%s", sub, h, sub, r.stdout)
			}
			if sub != "version" && !strings.Contains(r.stdout, "Example") {
				t.Errorf("%s %s: usage has no examples", sub, h)
			}
		}
		if r := runIn("help", sub); r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: tlsdefault "+sub) {
			t.Errorf("help %s:\n%s", sub, r)
		}
	}
	for _, h := range []string{"help", "--help", "-h"} {
		r := runIn(h)
		if r.code != 0 {
			t.Errorf("%s: %s", h, r)
		}
		for _, want := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE", "Exit codes:", "tlsdefault get", "tlsdefault serve", "tlsdefault pool", "tlsdefault rehash", "tlsdefault demo"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s: usage does not mention %s", h, want)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		r := runBin(t, arg)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "tlsdefault ") || !strings.Contains(r.stdout, runtime.Version()) {
			t.Errorf("%s:\n%s", arg, r)
		}
	}
}

func TestServeAndGetMutualTLS(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	s := startServe(t, "--dir-out", pki, "--client-auth", "required")
	if s.dir != pki {
		t.Fatalf("serve wrote to %q, want %q", s.dir, pki)
	}
	for name, mode := range map[string]os.FileMode{"ca.pem": 0o644, "cert.pem": 0o644, "key.pem": 0o600, "client.pem": 0o644, "client-key.pem": 0o600} {
		fi, err := os.Stat(s.file(name))
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}

	t.Run("with client certificate", func(t *testing.T) {
		r := runBin(t, "get", "-v", "--cafile", s.file("ca.pem"), "--cert", s.file("client.pem"), "--key", s.file("client-key.pem"), s.url)
		if r.code != 0 {
			t.Fatalf("%s", r)
		}
		for _, want := range []string{"version:      TLS 1.3", "client cert:  CN=tlsdefault throwaway client", "protocol:     HTTP/2.0", "alpn:         h2"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("page lacks %q:\n%s", want, r.stdout)
			}
		}
		for _, want := range []string{
			"status:       200 OK (HTTP/2.0)", "version:      TLS 1.3", "cipher suite: TLS_", "key exchange: X25519",
			"alpn:         h2", "resumed:      no", "chain (verified):", "0 subject: CN=localhost",
			"names:   localhost, 127.0.0.1, ::1", "key:     ECDSA P-256", "1 subject: CN=tlsdefault throwaway CA",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("-v output lacks %q:\n%s", want, r.stderr)
			}
		}
	})

	t.Run("without client certificate", func(t *testing.T) {
		r := runBin(t, "get", "--cafile", s.file("ca.pem"), s.url)
		if r.code != exitFailure {
			t.Fatalf("want exit code %d\n%s", exitFailure, r)
		}
		if r.stdout != "" {
			t.Errorf("stdout not empty: %q", r.stdout)
		}
		for _, want := range []string{
			"tlsdefault: error: handshake with 127.0.0.1 failed: the server requires a client certificate",
			"tlsdefault: hint: give a client certificate with --cert FILE --key FILE",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		checkErrorLines(t, r.stderr)
	})

	t.Run("unknown authority", func(t *testing.T) {
		other := testpki.NewCA(t)
		r := runBin(t, "get", "--cafile", other.WriteFile(t, t.TempDir(), "other.pem"), "--cert", s.file("client.pem"), "--key", s.file("client-key.pem"), s.url)
		if r.code != exitFailure {
			t.Fatalf("want exit code %d\n%s", exitFailure, r)
		}
		for _, want := range []string{"error: handshake with 127.0.0.1 failed: the server's certificate was issued by", "hint: trusted: cafile", "--cafile, --capath or --cadata-file"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		checkErrorLines(t, r.stderr)
	})

	t.Run("hashed capath and -o", func(t *testing.T) {
		capath := t.TempDir()
		ca, err := os.ReadFile(s.file("ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(capath, "ca.crt"), ca, 0o644)
		if r := runBin(t, "rehash", capath); r.code != 0 {
			t.Fatalf("rehash: %s", r)
		}
		// Only the hashed link: the CA is then found lazily by hash.
		hashed := t.TempDir()
		links, _ := filepath.Glob(filepath.Join(capath, "*.0"))
		if len(links) != 1 {
			t.Fatalf("rehash made %d links", len(links))
		}
		os.WriteFile(filepath.Join(hashed, filepath.Base(links[0])), ca, 0o644)

		out := filepath.Join(t.TempDir(), "page.txt")
		url := strings.Replace(s.url, "127.0.0.1", "localhost", 1)
		r := runBin(t, "get", "-v", "-o", out, "--capath", hashed, "--cert", s.file("client.pem"), "--key", s.file("client-key.pem"), url)
		if r.code != 0 {
			t.Fatalf("%s", r)
		}
		if r.stdout != "" {
			t.Errorf("-o given, but stdout is %q", r.stdout)
		}
		page, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(page), "server name:  localhost") {
			t.Errorf("-o file: %q, %v", page, err)
		}
		if !strings.Contains(r.stderr, "chain (verified):") || !strings.Contains(r.stderr, "1 subject: CN=tlsdefault throwaway CA") {
			t.Errorf("-v with a hashed capath does not show the verified chain:\n%s", r.stderr)
		}
	})
}

func TestServeGracefulShutdown(t *testing.T) {
	s := startServe(t)
	r := runBin(t, "get", "--cafile", s.file("ca.pem"), s.url)
	if r.code != 0 || !strings.Contains(r.stdout, "client cert:  none") {
		t.Fatalf("%s", r)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "tlsdefault: stopped") {
		t.Errorf("serve did not report stopping:\n%s", s.stderr)
	}
	if strings.HasPrefix(s.dir, os.TempDir()) {
		os.RemoveAll(s.dir)
	}
}

func TestServeFilesAndHTTPStatus(t *testing.T) {
	www := t.TempDir()
	os.WriteFile(filepath.Join(www, "index.txt"), []byte("served from a directory\n"), 0o644)
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t).WriteFiles(t, dir)
	caFile := ca.WriteFile(t, dir, "ca.pem")
	s := startServe(t, "--cert", certFile, "--key", keyFile, "--dir", www)

	r := runBin(t, "get", "--cafile", caFile, s.url+"index.txt")
	if r.code != 0 || r.stdout != "served from a directory\n" {
		t.Errorf("%s", r)
	}
	r = runBin(t, "get", "--cafile", caFile, s.url+"missing.txt")
	if r.code != exitHTTPStatus {
		t.Errorf("want exit code %d\n%s", exitHTTPStatus, r)
	}
	if !strings.Contains(r.stdout, "404 page not found") || !strings.Contains(r.stderr, "tlsdefault: error: get: the server answered 404 Not Found") {
		t.Errorf("%s", r)
	}
}

func TestGetLegacy(t *testing.T) {
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	addr := serveTLS(t, &tls.Config{
		MinVersion:   tls.VersionTLS10,
		MaxVersion:   tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
		Certificates: []tls.Certificate{ca.Server(t).TLS()},
	})
	url := "https://" + addr + "/"

	r := runBin(t, "get", "--cafile", caFile, url)
	if r.code != exitFailure {
		t.Fatalf("default: want exit code %d\n%s", exitFailure, r)
	}
	for _, want := range []string{
		"tlsdefault: error: handshake with 127.0.0.1 failed: the server refused every protocol version this client offered",
		"tlsdefault: hint: if this server cannot be upgraded",
		"--legacy-host 127.0.0.1 " + url,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("default: stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	checkErrorLines(t, r.stderr)
	if strings.Contains(strings.Split(r.stderr, "hint:")[0], "--legacy") {
		t.Errorf("--legacy is mentioned before the hint lines:\n%s", r.stderr)
	}

	r = runBin(t, "get", "-v", "--cafile", caFile, "--legacy-host", "127.0.0.1", url)
	if r.code != 0 || r.stdout != "hello from the old server\n" {
		t.Fatalf("--legacy-host: %s", r)
	}
	for _, want := range []string{"tlsdefault: warning: legacy client handshake with 127.0.0.1: TLS 1.0", "version:      TLS 1.0"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("--legacy-host: stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	r = runBin(t, "get", "--cafile", caFile, "--legacy", url)
	if r.code != 0 {
		t.Errorf("--legacy: %s", r)
	}

	r = runBin(t, "get", "--cafile", caFile, "--legacy-host", "old.example", url)
	if r.code != exitFailure || strings.Contains(r.stderr, "hint: if this server cannot be upgraded") ||
		!strings.Contains(r.stderr, "tlsdefault: hint: --legacy-host names old.example, not 127.0.0.1; add --legacy-host 127.0.0.1") {
		t.Errorf("--legacy-host for another host: want exit code 1 and a hint\n%s", r)
	}
}

func TestGetConnectionRefused(t *testing.T) {
	r := runBin(t, "get", "--timeout", "5s", "https://127.0.0.1:1/")
	if r.code != exitFailure || !strings.Contains(r.stderr, "tlsdefault: error: get https://127.0.0.1:1/:") {
		t.Errorf("%s", r)
	}
	checkErrorLines(t, r.stderr)
}

func TestPoolJSON(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	expired := testpki.NewCA(t, testpki.Expired())
	leaf := ca.Server(t)
	bundle := writePEM(t, filepath.Join(dir, "bundle.pem"), ca.CertDER(), leaf.Cert.Raw, expired.CertDER(), ca.CertDER())

	r := runBin(t, "pool", "--json", "--cafile", bundle)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	var got poolListing
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.stdout)
	}
	if got.Count != 3 || len(got.Certificates) != 3 {
		t.Fatalf("count %d, %d certificates; want 3 (the duplicate once)\n%s", got.Count, len(got.Certificates), r.stdout)
	}
	if got.Sources != "cafile "+bundle {
		t.Errorf("sources %q", got.Sources)
	}
	for i, want := range []struct {
		cert    *x509.Certificate
		block   int
		isCA    bool
		expired bool
	}{
		{ca.Cert, 1, true, false},
		{leaf.Cert, 2, false, false},
		{expired.Cert, 3, true, true},
	} {
		c := got.Certificates[i]
		if c.Subject != want.cert.Subject.String() || c.Block != want.block || c.IsCA != want.isCA || c.Expired != want.expired ||
			c.Source != "cafile" || c.Path != bundle || c.SubjectHash != fmt.Sprintf("%08x", capool.SubjectHash(want.cert)) ||
			!c.NotAfter.Equal(want.cert.NotAfter.UTC().Truncate(time.Second)) || c.Key != "ECDSA P-256" || len(c.SHA256) != 64 {
			t.Errorf("certificate %d: %+v", i, c)
		}
	}
	wantWarnings := []string{"duplicate certificate", "block 2: CN=", "is not a CA certificate", "block 3: CN=" + expired.Cert.Subject.CommonName, "expired on"}
	all := strings.Join(got.Warnings, "\n")
	for _, w := range wantWarnings {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	if len(got.Warnings) != 3 {
		t.Errorf("want 3 warnings (duplicate, non-CA, expired), got %d:\n%s", len(got.Warnings), all)
	}

	// The subject hash is OpenSSL's.
	if openssl := findOpenSSL(t); openssl != "" {
		out, err := exec.Command(openssl, "x509", "-hash", "-noout", "-in", ca.WriteFile(t, dir, "ca.pem")).Output()
		if err != nil {
			t.Fatal(err)
		}
		if h := strings.TrimSpace(string(out)); h != got.Certificates[0].SubjectHash {
			t.Errorf("subject_hash %s, openssl says %s", got.Certificates[0].SubjectHash, h)
		}
	}
}

func TestPoolTableAndHashedCAPath(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	ca2 := testpki.NewCA(t)
	hash := fmt.Sprintf("%08x", capool.SubjectHash(ca.Cert))
	// A hashed-only CA (lazy in capool), a plain file with a link to it,
	// and a file whose name does not match its hash.
	writePEM(t, filepath.Join(dir, hash+".0"), ca.CertDER())
	writePEM(t, filepath.Join(dir, "second.pem"), ca2.CertDER())
	if err := os.Symlink("second.pem", filepath.Join(dir, fmt.Sprintf("%08x.0", capool.SubjectHash(ca2.Cert)))); err != nil {
		t.Skip("no symbolic links:", err)
	}
	writePEM(t, filepath.Join(dir, "00000000.0"), ca2.CertDER())

	r := runBin(t, "pool", "--capath", dir)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{
		"HASH", "EXPIRES", "SOURCE", "SUBJECT",
		hash + "  ", "capath " + filepath.Join(dir, hash+".0") + " block 1 (" + hash + ".0)", ca.Cert.Subject.String(),
		"second.pem block 1 (", "2 certificates from capath " + dir,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "00000000.0 is named for hash 00000000, but its subject hash is") {
		t.Errorf("no warning for the misnamed file:\n%s", r.stderr)
	}

	r = runBin(t, "pool", "--json", "--capath", dir)
	var got poolListing
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Count != 2 {
		t.Fatalf("--json: %v\n%s", err, r)
	}
	if c := got.Certificates[len(got.Certificates)-1]; c.Subject != ca.Cert.Subject.String() || c.Source != "capath" || !slices.Equal(c.Links, []string{hash + ".0"}) {
		t.Errorf("hashed CA: %+v", c)
	}
}

func TestPoolFailures(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	noCerts := filepath.Join(dir, "nocerts.pem")
	os.WriteFile(noCerts, []byte("just text\n"), 0o644)
	der := filepath.Join(dir, "ca.der")
	ca := testpki.NewCA(t)
	os.WriteFile(der, ca.CertDER(), 0o644)

	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing cafile", []string{"--cafile", filepath.Join(dir, "missing.pem")}, exitPool, "missing.pem"},
		{"empty capath", []string{"--capath", empty}, exitPool, "capath " + empty},
		{"no certificates", []string{"--cafile", noCerts}, exitPool, "nocerts.pem"},
		{"empty flag", []string{"--cafile", ""}, exitUsage, "--cafile is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runBin(t, append([]string{"pool"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("want exit code %d\n%s", tt.code, r)
			}
			if !strings.HasPrefix(r.stderr, "tlsdefault: error: pool: ") || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want one error line containing %q\n%s", tt.want, r)
			}
			checkErrorLines(t, r.stderr)
		})
	}

	r := runBin(t, "pool", "--cadata-file", der)
	if r.code != 0 || !strings.Contains(r.stdout, "cadata") || !strings.Contains(r.stdout, "1 certificate from cadata") {
		t.Errorf("DER cadata: %s", r)
	}
}

func TestPoolSystem(t *testing.T) {
	ca := testpki.NewCA(t)
	file := ca.WriteFile(t, t.TempDir(), "system.pem")
	r := runBinEnv(t, []string{"SSL_CERT_FILE=" + file, "SSL_CERT_DIR=" + t.TempDir()}, "pool", "--json")
	if runtime.GOOS != "linux" {
		t.Skip("the system store can be listed on Linux only")
	}
	var got poolListing
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("%v\n%s", err, r)
	}
	if got.Count != 1 || got.Certificates[0].Source != "system" || got.Certificates[0].Subject != ca.Cert.Subject.String() {
		t.Errorf("SSL_CERT_FILE not honoured: %s", r.stdout)
	}
}

func findOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl not found, and CI=true: install it")
		}
		t.Log("openssl not found; skipping the comparison with it")
		return ""
	}
	return p
}

func TestRehashMatchesOpenSSL(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no symbolic links")
	}
	openssl := findOpenSSL(t)
	if openssl == "" {
		t.Skip("openssl not found")
	}
	src := t.TempDir()
	ca := testpki.NewCA(t)
	// Two CAs with the same subject share a hash: .0 and .1.
	same1 := testpki.NewCA(t, testpki.CommonName("tlsdefault rehash twin"))
	same2 := testpki.NewCA(t, testpki.CommonName("tlsdefault rehash twin"))
	writePEM(t, filepath.Join(src, "a.pem"), ca.CertDER())
	writePEM(t, filepath.Join(src, "twin1.crt"), same1.CertDER())
	writePEM(t, filepath.Join(src, "twin2.cer"), same2.CertDER())
	writePEM(t, filepath.Join(src, "copy-of-a.pem"), ca.CertDER()) // a duplicate: no link
	os.WriteFile(filepath.Join(src, "notes.txt"), []byte("not a certificate\n"), 0o644)
	crl, err := x509.CreateRevocationList(nil, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour)}, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "ca.crl"), pemBlock("X509 CRL", crl), 0o644)

	ours, theirs := t.TempDir(), t.TempDir()
	for _, d := range []string{ours, theirs} {
		ents, _ := os.ReadDir(src)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(src, e.Name()))
			os.WriteFile(filepath.Join(d, e.Name()), b, 0o644)
		}
	}
	if out, err := exec.Command(openssl, "rehash", theirs).CombinedOutput(); err != nil {
		t.Fatalf("openssl rehash: %v\n%s", err, out)
	}
	r := runBin(t, "rehash", ours)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	want, got := hashLinks(theirs), hashLinks(ours)
	if len(want) == 0 {
		t.Fatal("openssl rehash made no links")
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("links differ\nours:    %v\nopenssl: %v", got, want)
	}
	for name, target := range got {
		if !strings.Contains(r.stdout, name+" -> "+target+"  (new)\n") {
			t.Errorf("stdout does not list %s -> %s as new:\n%s", name, target, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("tlsdefault: %d links in %s: %d new, 0 removed", len(got), ours, len(got))) {
		t.Errorf("no summary:\n%s", r.stderr)
	}

	// A second run changes nothing; a stale link is removed.
	os.Symlink("gone.pem", filepath.Join(ours, "0badcafe.0"))
	r = runBin(t, "rehash", ours)
	if r.code != 0 || strings.Contains(r.stdout, "(new)") || !strings.Contains(r.stdout, "0badcafe.0 -> gone.pem  (removed)") {
		t.Errorf("second run:\n%s", r)
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestDemo(t *testing.T) {
	start := time.Now()
	r := runBin(t, "demo")
	elapsed := time.Since(start)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	lines := []string{
		"request 1: HTTP/2.0 200 OK, TLS 1.3, ",
		"alpn h2, resumed: no",
		"request 2: HTTP/2.0 200 OK, TLS 1.3, ",
		"resumed: yes",
		"old.test (the default client): refused: the server refused every protocol version this client offered (TLS 1.3, TLS 1.2)",
		"package legacy is the explicit opt-in",
		"old.test (in scope): accepted: HTTP/1.1 200 OK, TLS 1.0, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
		"observed by the hook: legacy client handshake with old.test: TLS 1.0",
		"other.test (same client, not in scope): refused: ",
		"legacy.Counter: 1 legacy handshake(s), old.test: 1",
	}
	for _, want := range lines {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "observed by the hook") != 1 {
		t.Errorf("want exactly one observed legacy handshake:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "tlsdefault: warning: legacy client handshake with old.test") {
		t.Errorf("no legacy warning on stderr:\n%s", r.stderr)
	}
	if elapsed > 10*time.Second {
		t.Errorf("demo took %v; it should take about a second", elapsed)
	}
}
