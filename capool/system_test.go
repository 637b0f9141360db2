package capool

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

func TestSystem(t *testing.T) {
	p, err := System()
	if err != nil {
		t.Fatal(err)
	}
	if !p.IncludesSystem() || p.Lazy() {
		t.Errorf("IncludesSystem %v, Lazy %v", p.IncludesSystem(), p.Lazy())
	}
	if p.CertPool() == nil {
		t.Fatal("CertPool is nil")
	}
	if runtime.GOOS == "linux" && p.Len() == 0 {
		t.Errorf("System on Linux lists no certificate (%s)", p.Describe())
	}
	for _, e := range p.Entries() {
		if e.Source != "system" && e.Source != "embedded" {
			t.Fatalf("entry from %q", e.Source)
		}
	}
}

// TestSystemEnv runs System in a child process, since crypto/x509 reads the
// system store once per process.
func TestSystemEnv(t *testing.T) {
	if os.Getenv("CAPOOL_SYSTEM_CHILD") != "" {
		systemChild(t)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("SSL_CERT_FILE and SSL_CERT_DIR are Unix settings; the listing is Linux only")
	}
	dir := t.TempDir()
	ca := newCA(t, "Env System CA")
	leaf := ca.issue(t, "env.example", false)
	bundle := append(pemOf(ca.cert), blockPEM("CERTIFICATE", []byte{0x30, 0x01, 0x00})...) // one bad root
	file := writeFile(t, filepath.Join(dir, "bundle.pem"), bundle)
	writeFile(t, filepath.Join(dir, "leaf.pem"), pemOf(leaf.cert))
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)

	run := func(env ...string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSystemEnv$", "-test.v")
		cmd.Env = append(os.Environ(), append(env, "CAPOOL_SYSTEM_CHILD=1", "CAPOOL_LEAF="+filepath.Join(dir, "leaf.pem"))...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return string(out)
	}
	out := run("SSL_CERT_FILE="+file, "SSL_CERT_DIR="+empty)
	for _, want := range []string{"describe: system store", "len: 1", "entry: system " + file + " 1", "problem: capool: system " + file + ": block 2:", "verify: ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	out = run("SSL_CERT_FILE="+filepath.Join(dir, "missing.pem"), "SSL_CERT_DIR="+filepath.Join(dir, "missing"))
	for _, want := range []string{"describe: embedded Mozilla roots", "entry: embedded  0", "verify: failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

func systemChild(t *testing.T) {
	p, err := System()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("describe: %s\nlen: %d\n", p.Describe(), p.Len())
	for i, e := range p.Entries() {
		if i < 3 {
			fmt.Printf("entry: %s %s %d\n", e.Source, e.Path, e.Block)
		}
	}
	for _, pr := range p.Problems() {
		fmt.Printf("problem: %v\n", pr)
	}
	data, err := os.ReadFile(os.Getenv("CAPOOL_LEAF"))
	if err != nil {
		t.Fatal(err)
	}
	certs, err := ParseCAData(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify(certs[0], nil, x509.VerifyOptions{DNSName: "env.example"}); err != nil {
		fmt.Printf("verify: failed: %v\n", err)
	} else {
		fmt.Printf("verify: ok\n")
	}
}

func TestEmbeddedStore(t *testing.T) {
	real := embeddedStore(bundle.Roots())
	entries, probs := real.listing()
	if len(entries) < 100 || len(probs) != 0 {
		t.Errorf("embedded roots: %d entries, problems %v", len(entries), probs)
	}
	constrained := 0
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			constrained++
		}
	}
	withConstraint := 0
	for _, e := range entries {
		if e.constraint != nil {
			withConstraint++
		}
	}
	if withConstraint != constrained {
		t.Errorf("%d roots carry constraints, bundle has %d", withConstraint, constrained)
	}

	// A bad root is skipped and reported; a constraint is honoured.
	ca := newCA(t, "Fake Embedded")
	leaf := ca.issue(t, "fake.example", false)
	refuse := errors.New("distrusted")
	fake := func(yield func(bundle.Root) bool) {
		_ = yield(bundle.Root{Certificate: []byte{0x30, 0x00}}) &&
			yield(bundle.Root{Certificate: ca.cert.Raw, Constraint: func([]*x509.Certificate) error { return refuse }})
	}
	s := embeddedStore(fake)
	entries, probs = s.listing()
	if len(entries) != 1 || len(probs) != 1 {
		t.Fatalf("entries %d, problems %v", len(entries), probs)
	}
	p := (&builder{p: Pool{system: s}, seen: map[string]int{}}).build()
	if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "fake.example"}); !errors.Is(err, refuse) && (err == nil || !strings.Contains(err.Error(), "distrusted")) {
		t.Errorf("constraint not honoured: %v", err)
	}
}
