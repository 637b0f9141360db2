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

	runErr := func(env ...string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSystemEnv$", "-test.v")
		// Only the variables of the case: this process may have its own.
		var base []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "SSL_CERT_FILE=") && !strings.HasPrefix(kv, "SSL_CERT_DIR=") {
				base = append(base, kv)
			}
		}
		cmd.Env = append(base, append(env, "CAPOOL_SYSTEM_CHILD=1", "CAPOOL_LEAF="+filepath.Join(dir, "leaf.pem"))...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	run := func(env ...string) string {
		out, err := runErr(env...)
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return out
	}
	out := run("SSL_CERT_FILE="+file, "SSL_CERT_DIR="+empty)
	for _, want := range []string{"describe: system store", "len: 1", "entry: system " + file + " 1", "problem: capool: system " + file + ": block 2:", "verify: ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	// Issue 11 item 7: a variable set to something unusable is an error
	// naming it and the path, not a quiet fallback to other roots.
	noCert := writeFile(t, filepath.Join(dir, "nocert.pem"), keyPEM(t))
	unreadable := writeFile(t, filepath.Join(dir, "unreadable.pem"), pemOf(ca.cert))
	os.Chmod(unreadable, 0)
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"SSL_CERT_FILE=" + filepath.Join(dir, "missing.pem"), "SSL_CERT_DIR=" + filepath.Join(dir, "missing")},
			"capool: system " + filepath.Join(dir, "missing.pem") + ": set by SSL_CERT_FILE: no such file or directory"},
		{[]string{"SSL_CERT_FILE=" + noCert}, "capool: system " + noCert + ": set by SSL_CERT_FILE: holds no PEM certificate"},
		{[]string{"SSL_CERT_FILE=" + empty}, "capool: system " + empty + ": set by SSL_CERT_FILE: is a directory"},
		{[]string{"SSL_CERT_DIR=" + filepath.Join(dir, "missing")}, "capool: system " + filepath.Join(dir, "missing") + ": set by SSL_CERT_DIR: no such file or directory"},
		{[]string{"SSL_CERT_DIR=" + empty}, "capool: system " + empty + ": set by SSL_CERT_DIR: no file there holds a PEM certificate"},
		{[]string{"SSL_CERT_DIR=" + file}, "set by SSL_CERT_DIR: not a directory"},
	} {
		out, err := runErr(tt.env...)
		if err == nil || !strings.Contains(out, tt.want) {
			t.Errorf("%v: child %v, output lacks %q:\n%s", tt.env, err, tt.want, out)
		}
	}
	// GODEBUG x509usefallbackroots=1 in the environment: crypto/x509 would
	// answer with the fallback roots a program registered, whatever
	// SSL_CERT_FILE says; the conflict is an error naming both.
	out, err := runErr("SSL_CERT_FILE="+file, "GODEBUG=x509usefallbackroots=1")
	if err == nil || !strings.Contains(out, "set by SSL_CERT_FILE, but GODEBUG x509usefallbackroots=1 (from the GODEBUG environment variable)") {
		t.Errorf("SSL_CERT_FILE with GODEBUG x509usefallbackroots=1: child %v:\n%s", err, out)
	}
	if os.Geteuid() != 0 {
		out, err := runErr("SSL_CERT_FILE=" + unreadable)
		if err == nil || !strings.Contains(out, "set by SSL_CERT_FILE: permission denied") {
			t.Errorf("unreadable SSL_CERT_FILE: child %v:\n%s", err, out)
		}
	}
	// A directory of certificates alone is fine.
	certDir := filepath.Join(dir, "certs")
	os.Mkdir(certDir, 0o755)
	writeFile(t, filepath.Join(certDir, "ca.pem"), pemOf(ca.cert))
	if out := run("SSL_CERT_DIR=" + certDir); !strings.Contains(out, "verify: ok") {
		t.Errorf("SSL_CERT_DIR of certificates: %s", out)
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
	b := newBuilder()
	b.p.system = s
	p := b.build()
	if _, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "fake.example"}); !errors.Is(err, refuse) && (err == nil || !strings.Contains(err.Error(), "distrusted")) {
		t.Errorf("constraint not honoured: %v", err)
	}
}

// TestEmptyReadsNothing: Empty (WithPool's check) answers for the system
// store without listing it, and Merge of one pool shares its crypto/x509
// pools, so WithPool(System()) costs what the default trust costs.
func TestEmptyReadsNothing(t *testing.T) {
	p, err := System()
	if err != nil {
		t.Fatal(err)
	}
	if p.Empty() {
		t.Fatal("the system store is Empty")
	}
	if p.system.entries != nil && p.system.list != nil {
		t.Error("Empty listed the system store")
	}
	if m := Merge(p); m.x != p.x {
		t.Error("Merge of one pool does not share its crypto/x509 pools")
	}
	var zero Pool
	if !zero.Empty() || !(*Pool)(nil).Empty() {
		t.Error("a zero or nil pool is not Empty")
	}
}
