package tlsdefault_test

// An outside scanner that nobody here wrote: testssl.sh
// (https://testssl.sh/, Debian package testssl.sh) run against a Listen
// server on 127.0.0.1, its JSON findings parsed here. The same scan of a
// server opened with legacy.Allow() must fail the same checks: proof that
// the scan can fail.
//
// Skipped under -short. Under CI=true a missing testssl.sh is a failure
// (.ci/testssl.sh installs it); elsewhere the test skips with a message.
// TESTSSL names the program if it is not testssl or testssl.sh on PATH.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// testsslArgs are the checks run: protocols (-p), each cipher the server
// accepts (-e), and the vulnerability checks (-U: Heartbleed, CCS,
// Ticketbleed, ROBOT, renegotiation, CRIME, BREACH, POODLE, fallback SCSV,
// SWEET32, FREAK, DROWN, LOGJAM, BEAST, LUCKY13, RC4). No DNS, no colour,
// no interactive warnings. Both scans together take about a minute.
var testsslArgs = []string{
	"--quiet", "--warnings", "off", "--color", "0", "--nodns", "none", "--sneaky",
	"--connect-timeout", "10", "--openssl-timeout", "10",
	"-p", "-e", "-U",
}

// scanVulnIDs are the findings of -U that must be below MEDIUM. Findings
// whose id starts with one of these (BEAST_CBC_TLS1, LOGJAM-common_primes,
// DROWN_hint...) count too. BREACH is left out: it is about HTTP
// compression by the application, not TLS.
var scanVulnIDs = []string{
	"heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego",
	"CRIME_TLS", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM",
	"BEAST", "LUCKY13", "RC4",
}

// testsslFinding is one entry of testssl.sh's flat JSON output.
type testsslFinding struct {
	ID       string `json:"id"`
	IP       string `json:"ip"`
	Port     string `json:"port"`
	Severity string `json:"severity"`
	CVE      string `json:"cve"`
	Finding  string `json:"finding"`
}

func testsslPath(t *testing.T) string {
	t.Helper()
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("testssl.sh scans take about a minute; skipped under -short")
	}
	names := []string{"testssl", "testssl.sh"}
	if p := os.Getenv("TESTSSL"); p != "" {
		names = []string{p}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("testssl.sh not found (tried %v); under CI=true the scan must run: install it with .ci/testssl.sh (Debian package testssl.sh)", names)
	}
	t.Skipf("testssl.sh not found (tried %v); install it (apt-get install testssl.sh, or .ci/testssl.sh) to run the scan", names)
	return ""
}

// scan runs testssl.sh against addr and returns its findings.
func scan(t *testing.T, bin, addr string) []testsslFinding {
	t.Helper()
	dir := t.TempDir()
	jsonFile := filepath.Join(dir, "scan.json")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	args := append(slices.Clone(testsslArgs), "--jsonfile", jsonFile, addr)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=dumb")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	data, rerr := os.ReadFile(jsonFile)
	var findings []testsslFinding
	if rerr == nil {
		rerr = json.Unmarshal(data, &findings)
	}
	if rerr != nil || len(findings) == 0 {
		t.Fatalf("testssl.sh %s (exit: %v, after %v) gave no JSON findings (%v); its output:\n%s", strings.Join(args, " "), err, took, rerr, tail(out.String(), 4000))
	}
	t.Logf("testssl.sh %s: %d findings in %v (exit: %v)", addr, len(findings), took.Round(time.Second), err)
	if os.Getenv("TESTSSL_KEEP") != "" {
		// Keep the raw report for a human: TESTSSL_KEEP=dir.
		name := filepath.Join(os.Getenv("TESTSSL_KEEP"), strings.ReplaceAll(t.Name(), "/", "_")+".json")
		if err := os.WriteFile(name, data, 0o644); err == nil {
			t.Logf("report kept in %s", name)
		}
	}
	return findings
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// judgeScan applies the policy to a scan and returns each violation.
func judgeScan(findings []testsslFinding) []string {
	var bad []string
	byID := map[string]testsslFinding{}
	for _, f := range findings {
		byID[f.ID] = f
		if f.Severity == "FATAL" {
			bad = append(bad, fmt.Sprintf("scan problem %s: %s", f.ID, f.Finding))
		}
	}
	// Protocols: TLS 1.2 and 1.3 only.
	for _, id := range []string{"SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"} {
		f, ok := byID[id]
		want := id == "TLS1_2" || id == "TLS1_3"
		switch {
		case !ok:
			bad = append(bad, "protocol "+id+": no finding (the scan did not check it)")
		case want && (!strings.HasPrefix(f.Finding, "offered")):
			bad = append(bad, fmt.Sprintf("protocol %s: %q, want offered", id, f.Finding))
		case !want && !strings.HasPrefix(f.Finding, "not offered"):
			bad = append(bad, fmt.Sprintf("protocol %s offered: %q (%s)", id, f.Finding, f.Severity))
		}
	}
	// Every cipher offered: forward secrecy (ECDHE or TLS 1.3) and AEAD.
	// A -e finding reads "xc02f   ECDHE-RSA-AES128-GCM-SHA256   ECDH 253
	// AESGCM   128   TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".
	ciphers := 0
	for _, f := range findings {
		if !strings.HasPrefix(f.ID, "cipher_x") && !strings.HasPrefix(f.ID, "cipher-tls") {
			continue
		}
		ciphers++
		fields := strings.Fields(f.Finding)
		if len(fields) < 4 {
			bad = append(bad, fmt.Sprintf("cipher %s: unexpected finding %q", f.ID, f.Finding))
			continue
		}
		iana := fields[len(fields)-1]
		tls13 := strings.HasPrefix(iana, "TLS_AES_") || strings.HasPrefix(iana, "TLS_CHACHA20_")
		fs := tls13 || strings.HasPrefix(iana, "TLS_ECDHE_") || strings.HasPrefix(iana, "TLS_DHE_")
		aead := strings.Contains(iana, "_GCM_") || strings.Contains(iana, "_CHACHA20_POLY1305") || strings.Contains(iana, "_CCM")
		if !slices.ContainsFunc(fields, func(s string) bool { return strings.HasPrefix(s, "ECDH") || strings.HasPrefix(s, "DH") }) {
			fs = false
		}
		if !fs || !aead {
			bad = append(bad, fmt.Sprintf("cipher %s offered: forward secrecy %v, AEAD %v (%s)", iana, fs, aead, f.Finding))
		}
	}
	if ciphers == 0 {
		bad = append(bad, "no cipher finding (the scan did not list the offered suites)")
	}
	// Vulnerability checks: present, and below MEDIUM.
	for _, id := range scanVulnIDs {
		found := false
		for _, f := range findings {
			if f.ID != id && !strings.HasPrefix(f.ID, id+"_") && !strings.HasPrefix(f.ID, id+"-") {
				continue
			}
			found = true
			switch f.Severity {
			case "OK", "INFO", "LOW":
			case "WARN":
				bad = append(bad, fmt.Sprintf("%s: the check did not complete: %s", f.ID, f.Finding))
			default:
				bad = append(bad, fmt.Sprintf("%s: %s: %s", f.ID, f.Severity, f.Finding))
			}
		}
		if !found {
			bad = append(bad, id+": no finding (the scan did not check it)")
		}
	}
	return bad
}

// scanServer serves HTTPS with Listen on 127.0.0.1 with an ECDSA and an
// RSA certificate (so that the suites of both kinds, and the RSA-specific
// checks such as ROBOT, are exercised) and returns its address.
func scanServer(t *testing.T, extra ...tlsdefault.Option) string {
	t.Helper()
	ca := testpki.NewCA(t)
	opts := append([]tlsdefault.Option{
		tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithCertificate(ca.Issue(t, testpki.RSABits(2048)).TLS()),
		tlsdefault.WithErrorLog(quietLog()), // the scanner fails many handshakes on purpose
	}, extra...)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return serveListener(t, ln, http.NotFoundHandler())
}

// TestScannerTestssl scans the default server and a legacy.Allow() server
// in parallel. The default one must be clean; the legacy one must be
// caught offering TLS 1.0 and 1.1 (and CBC suites) by the same judgement.
func TestScannerTestssl(t *testing.T) {
	bin := testsslPath(t)
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		findings := scan(t, bin, scanServer(t))
		for _, v := range judgeScan(findings) {
			t.Error(v)
		}
		var offered []string
		for _, f := range findings {
			if strings.HasPrefix(f.ID, "cipher_x") {
				fs := strings.Fields(f.Finding)
				offered = append(offered, fs[len(fs)-1])
			}
		}
		t.Logf("offered: %s", strings.Join(offered, " "))
	})
	t.Run("legacy", func(t *testing.T) {
		t.Parallel()
		violations := judgeScan(scan(t, bin, scanServer(t, legacy.Allow(legacy.Quiet()))))
		joined := strings.Join(violations, "\n")
		for _, want := range []string{"protocol TLS1 offered", "protocol TLS1_1 offered", "forward secrecy false", "AEAD false"} {
			if !strings.Contains(joined, want) {
				t.Errorf("the scan of a legacy.Allow() server did not report %q; it reported:\n%s", want, joined)
			}
		}
		t.Logf("the legacy server fails the scan, as it must (%d violations):\n%s", len(violations), joined)
	})
}
