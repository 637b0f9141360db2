package ticketkeys_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/ticketkeys"
)

func newKey(t testing.TB) ([32]byte, string) {
	var k [32]byte
	rand.Read(k[:])
	return k, base64.StdEncoding.EncodeToString(k[:])
}

func TestParse(t *testing.T) {
	k1, s1 := newKey(t)
	k2, s2 := newKey(t)
	keys, err := ticketkeys.Parse([]byte("# fleet keys\n\n" + s1 + "\r\n  \n# old\n " + s2 + " \n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != k1 || keys[1] != k2 {
		t.Fatalf("keys not parsed in order")
	}
	round, err := ticketkeys.Parse(ticketkeys.Format("made by a test\nsecond line", keys))
	if err != nil || len(round) != 2 || round[0] != k1 || round[1] != k2 {
		t.Fatalf("Format does not round-trip: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	_, good := newKey(t)
	var k31 [31]byte
	var k33 [33]byte
	rand.Read(k31[:])
	rand.Read(k33[:])
	// Each bad line is secret-looking: the error must not print it.
	bad := map[string]string{
		"31 bytes":          base64.StdEncoding.EncodeToString(k31[:]),
		"33 bytes":          base64.StdEncoding.EncodeToString(k33[:]),
		"URL alphabet":      strings.NewReplacer("+", "-", "/", "_").Replace(good[:43]) + "-",
		"no padding":        good[:43] + "A",
		"one typo":          good[:10] + "*" + good[11:],
		"not strict":        good[:42] + "B=",
		"hex":               strings.Repeat("ab", 32),
		"raw key with text": "key=" + good,
	}
	for name, line := range bad {
		t.Run(name, func(t *testing.T) {
			if name == "not strict" && strings.HasSuffix(good, good[:42]+"B=") {
				t.Skip("the key happens to end so")
			}
			_, err := ticketkeys.Parse([]byte("# comment\n" + good + "\n" + line + "\n"))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), "line 3") {
				t.Errorf("error does not name the line: %v", err)
			}
			assertNoSecret(t, err.Error(), good, line)
		})
	}
	for _, empty := range []string{"", "\n\n", "# only a comment\n", "   \n#\n"} {
		if _, err := ticketkeys.Parse([]byte(empty)); err == nil || !strings.Contains(err.Error(), "no key") {
			t.Errorf("%q: %v", empty, err)
		}
	}
	var many bytes.Buffer
	for range ticketkeys.MaxKeys + 1 {
		_, s := newKey(t)
		many.WriteString(s + "\n")
	}
	if _, err := ticketkeys.Parse(many.Bytes()); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many keys: %v", err)
	}
}

// assertNoSecret fails if msg holds 8 or more consecutive characters of
// any of the secrets (or of their decoded bytes, in hex or raw).
func assertNoSecret(t *testing.T, msg string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for i := 0; i+8 <= len(s); i++ {
			if strings.Contains(msg, s[i:i+8]) {
				t.Fatalf("message %q holds part of a secret line", msg)
			}
		}
	}
}

func writeKeys(t *testing.T, path string, mode os.FileMode, lines ...string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestReadRefusesLooseMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	path := filepath.Join(t.TempDir(), "ticket.keys")
	_, s := newKey(t)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602} {
		writeKeys(t, path, mode, s)
		_, err := ticketkeys.Open(path, time.Second)
		if err == nil || !strings.Contains(err.Error(), "group or others") || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), path) {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		writeKeys(t, path, mode, s)
		if _, err := ticketkeys.Open(path, time.Second); err != nil {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	if _, err := ticketkeys.Open(filepath.Join(t.TempDir(), "missing"), time.Second); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ticketkeys.Open(t.TempDir(), time.Second); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

func TestFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ticket.keys")
	k1, s1 := newKey(t)
	k2, s2 := newKey(t)
	writeKeys(t, path, 0o600, s1)
	synctest.Test(t, func(t *testing.T) {
		f, err := ticketkeys.Open(path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if ks := f.Keys(); len(ks) != 1 || ks[0] != k1 {
			t.Fatal("first keys")
		}
		writeKeys(t, path, 0o600, s2, s1)
		if o := f.Check(); o.Changed {
			t.Fatal("checked within the interval")
		}
		time.Sleep(time.Second)
		if o := f.Check(); !o.Reloaded() {
			t.Fatalf("rotation not picked up: %+v", o)
		}
		if ks := f.Keys(); len(ks) != 2 || ks[0] != k2 || ks[1] != k1 {
			t.Fatal("rotated keys")
		}
		// A broken file keeps the keys, reported once; nothing secret in
		// the report.
		writeKeys(t, path, 0o600, s2, s1[:20])
		time.Sleep(time.Second)
		o := f.Check()
		if o.Err == nil || o.Repeated {
			t.Fatalf("broken file: %+v", o)
		}
		assertNoSecret(t, o.Err.Error(), s1, s2)
		if ks := f.Keys(); len(ks) != 2 || ks[0] != k2 {
			t.Fatal("broken file replaced the keys")
		}
		time.Sleep(time.Second)
		if o := f.Check(); o.Err == nil || !o.Repeated {
			t.Fatalf("second check of the broken file: %+v", o)
		}
		// A loosened mode is refused on reload too.
		if runtime.GOOS != "windows" {
			writeKeys(t, path, 0o644, s1)
			time.Sleep(time.Second)
			if o := f.Check(); o.Err == nil || !strings.Contains(o.Err.Error(), "group or others") {
				t.Fatalf("loose mode on reload: %+v", o)
			}
		}
		writeKeys(t, path, 0o600, s1)
		time.Sleep(time.Second)
		if o := f.Check(); !o.Reloaded() || len(f.Keys()) != 1 || f.Keys()[0] != k1 {
			t.Fatalf("repaired file: %+v", o)
		}
	})
}

// FuzzParse: never a panic; an accepted file has 1 to MaxKeys keys, each
// from a line of the input; an error never holds a line that is not a
// comment.
func FuzzParse(f *testing.F) {
	f.Add([]byte("# keys\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ticketkeys.Parse(data)
		if err != nil {
			if keys != nil {
				t.Fatal("keys with an error")
			}
			for _, line := range bytes.Split(data, []byte("\n")) {
				line = bytes.TrimSpace(line)
				if len(line) >= 12 && line[0] != '#' && strings.Contains(err.Error(), string(line)) {
					t.Fatalf("error %q holds the line %q", err, line)
				}
			}
			return
		}
		if len(keys) == 0 || len(keys) > ticketkeys.MaxKeys {
			t.Fatalf("%d keys", len(keys))
		}
		for _, k := range keys {
			if !bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString(k[:]))) {
				t.Fatal("a key not in the input")
			}
		}
	})
}
