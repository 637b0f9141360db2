package capool

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// pythonCAPath answers, for a leaf, whether python3's
// ssl.create_default_context(capath=dir) (OpenSSL's lazy by_dir lookup)
// trusts it, in a fresh process, through a real handshake on loopback.
type pythonCAPath struct {
	python string
	addr   *net.TCPAddr
	mu     sync.Mutex
	leaf   *testCA
}

func newPythonCAPath(t *testing.T) *pythonCAPath {
	t.Helper()
	pc := &pythonCAPath{python: peer(t, "python3")}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			pc.mu.Lock()
			defer pc.mu.Unlock()
			return &tls.Certificate{Certificate: [][]byte{pc.leaf.cert.Raw}, PrivateKey: pc.leaf.key}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.(*tls.Conn).Handshake()
			}()
		}
	}()
	pc.addr = ln.Addr().(*net.TCPAddr)
	return pc
}

const pythonCAPathScript = `
import socket, ssl, sys
ctx = ssl.create_default_context(capath=sys.argv[1])
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[2]))) as s:
        with ctx.wrap_socket(s, server_hostname=sys.argv[3]):
            print("trusted")
except ssl.SSLCertVerificationError as e:
    print("refused:", e.verify_message)
`

// trusts reports python3's verdict on leaf (a leaf for its own name).
func (pc *pythonCAPath) trusts(t *testing.T, dir string, leaf *testCA) bool {
	t.Helper()
	pc.mu.Lock()
	pc.leaf = leaf
	pc.mu.Unlock()
	out, err := exec.Command(pc.python, "-c", pythonCAPathScript, dir, itoa(pc.addr.Port), leaf.cert.DNSNames[0]).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	return bytes.HasPrefix(out, []byte("trusted"))
}

// TestCAPathVerdictsLikePython compares, case by case, what a pool loaded
// once trusts with what python3's capath trusts, as the directory changes
// under the pool: CAs added are trusted at the next verification, CAs
// removed (file, link or both, in `openssl rehash` and Rehash layouts)
// are refused, and plain files beside hashed names are not sources.
func TestCAPathVerdictsLikePython(t *testing.T) {
	py := newPythonCAPath(t)
	openssl := peer(t, "openssl")
	rehash := map[string]func(t *testing.T, dir string){
		"openssl rehash": func(t *testing.T, dir string) {
			exec.Command(openssl, "rehash", dir).Run()
		},
		"Rehash": func(t *testing.T, dir string) {
			if err := Rehash(dir); err != nil {
				t.Fatal(err)
			}
		},
	}
	for _, tool := range []string{"openssl rehash", "Rehash"} {
		run := rehash[tool]
		t.Run(tool, func(t *testing.T) {
			if testing.Short() && tool == "openssl rehash" {
				t.Skip("-short: the Rehash layout only (its links are openssl rehash's, TestRehashMatchesOpenSSL)")
			}
			ca, other := newCAOwnKey(t, "Verdict CA "+tool), newCAOwnKey(t, "Verdict Other "+tool)
			leaf := ca.issue(t, "verdict.test", false)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "other.pem"), pemOf(other.cert))
			run(t, dir)
			p, err := Load(Sources{CAPath: dir})
			if err != nil {
				t.Fatal(err)
			}
			check := func(step string, want bool) {
				t.Helper()
				_, err := p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "verdict.test"})
				ours, theirs := err == nil, py.trusts(t, dir, leaf)
				if theirs != want {
					t.Fatalf("%s: python3 trusts = %v, the test expects %v", step, theirs, want)
				}
				if ours != theirs {
					t.Errorf("%s: the pool trusts = %v (%v), python3 = %v", step, ours, err, theirs)
				}
			}
			// A plain file beside hashed names is not a source.
			writeFile(t, filepath.Join(dir, "ca.pem"), pemOf(ca.cert))
			check("plain file, not linked", false)
			// Linked: trusted at the next verification, no reload.
			run(t, dir)
			check("after rehash", true)
			// The link removed, the file kept: refused.
			link := filepath.Join(dir, hex8(SubjectHash(ca.cert))+".0")
			if err := os.Remove(link); err != nil {
				t.Fatal(err)
			}
			check("link removed", false)
			run(t, dir)
			check("linked again", true)
			// The file and its link removed (issue 11 item 4): refused.
			os.Remove(filepath.Join(dir, "ca.pem"))
			run(t, dir)
			check("file removed and rehashed", false)
			if _, err := os.Lstat(link); err == nil {
				t.Errorf("%s left %s behind", tool, link)
			}
		})
	}

	t.Run("empty file before the CA", func(t *testing.T) {
		ca := newCAOwnKey(t, "Verdict Empty First")
		leaf := ca.issue(t, "empty.test", false)
		dir := t.TempDir()
		h := hex8(SubjectHash(ca.cert))
		writeFile(t, filepath.Join(dir, h+".0"), nil)
		writeFile(t, filepath.Join(dir, h+".1"), pemOf(ca.cert))
		p, err := Load(Sources{CAPath: dir})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "empty.test"})
		if theirs := py.trusts(t, dir, leaf); (err == nil) != theirs {
			t.Errorf("the pool trusts = %v (%v), python3 = %v", err == nil, err, theirs)
		}
	})

	t.Run("misnamed file", func(t *testing.T) {
		ca := newCAOwnKey(t, "Verdict Misnamed")
		leaf := ca.issue(t, "misnamed.test", false)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, hex8(SubjectHash(ca.cert)^1)+".0"), pemOf(ca.cert))
		p, err := Load(Sources{CAPath: dir})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Verify(leaf.cert, nil, x509.VerifyOptions{DNSName: "misnamed.test"})
		if theirs := py.trusts(t, dir, leaf); (err == nil) != theirs || theirs {
			t.Errorf("the pool trusts = %v (%v), python3 = %v; want both false", err == nil, err, theirs)
		}
		if probs := p.Problems(); len(probs) != 1 || !strings.Contains(probs[0].Error(), "lookups will not find it") {
			t.Errorf("Problems = %v", probs)
		}
	})
}

// TestDebianSystemCAPath reads the system's /etc/ssl/certs as a capath,
// read-only: on Debian it holds a hashed link per CA, a .pem link per CA
// and the bundle ca-certificates.crt of all of them. With OpenSSL's rule
// the bundle is not read again and nothing is reported twice; the listing
// is exactly the bundle's certificates.
func TestDebianSystemCAPath(t *testing.T) {
	const dir, bundle = "/etc/ssl/certs", "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(bundle); err != nil {
		t.Skip("no Debian-style " + dir)
	}
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Lazy() || p.Describe() != "capath "+dir+" (looked up by hash)" || len(p.list()) != 0 {
		t.Fatalf("%s: lazy %v, %q, %d eager", dir, p.Lazy(), p.Describe(), len(p.list()))
	}
	probs := p.Problems()
	for _, pr := range probs {
		if strings.Contains(pr.Error(), "duplicate") || strings.Contains(pr.Error(), "ca-certificates.crt") {
			t.Errorf("problem: %v", pr)
		}
	}
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, pc := range parseCerts(data, parseGoCompat).certs {
		want[string(pc.cert.Raw)] = true
	}
	entries := p.Entries()
	got := map[string]bool{}
	for _, e := range entries {
		got[string(e.Cert.Raw)] = true
		if len(e.Links) == 0 || e.Source != "capath" || strings.HasSuffix(e.Path, "ca-certificates.crt") {
			t.Errorf("entry %s: source %s, path %s, links %v", e.Cert.Subject, e.Source, e.Path, e.Links)
		}
	}
	missing := 0
	for k := range want {
		if !got[k] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d entries, bundle %d: %d of the bundle missing", len(entries), len(want), missing)
	}
	// Linked certificates that are not in the bundle (ssl-cert's
	// snakeoil certificate) are trusted by OpenSSL's capath too.
	for _, e := range entries {
		if !want[string(e.Cert.Raw)] {
			t.Logf("linked, not in the bundle: %s (%s)", e.Path, e.Links)
		}
	}
	t.Logf("%s: %d certificates through hashed names, %d problems", dir, len(entries), len(probs))
	if p.Len() != len(entries) {
		t.Errorf("Len %d, Entries %d", p.Len(), len(entries))
	}
}
