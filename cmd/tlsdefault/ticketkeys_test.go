package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault/internal/ticketkeys"
)

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func readKeys(t *testing.T, path string) [][32]byte {
	t.Helper()
	keys, err := ticketkeys.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// assertNoKeys fails if out holds any of the keys in base64.
func assertNoKeys(t *testing.T, out string, keys ...[32]byte) {
	t.Helper()
	for _, k := range keys {
		if s := base64.StdEncoding.EncodeToString(k[:]); strings.Contains(out, s[:16]) {
			t.Fatalf("output holds a key: %q", out)
		}
	}
}

func TestTicketKeysNewAndRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ticket.keys")
	code, out, errOut := runArgs(t, "ticket-keys", "new", path)
	if code != 0 {
		t.Fatalf("new: %d %s", code, errOut)
	}
	k := readKeys(t, path)
	if len(k) != 1 {
		t.Fatalf("new wrote %d keys", len(k))
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o ", fi.Mode().Perm())
	}
	assertNoKeys(t, out+errOut, k...)
	if code, _, errOut := runArgs(t, "ticket-keys", "new", path); code != exitUsage || !strings.Contains(errOut, "exists") || !strings.Contains(errOut, "rotate") {
		t.Fatalf("new over an existing file: %d %s", code, errOut)
	}
	if got := readKeys(t, path); got[0] != k[0] {
		t.Fatal("new replaced an existing file")
	}

	// Each rotation puts a new key first and keeps defaultKeep old ones.
	history := k
	for i := range 4 {
		code, out, errOut := runArgs(t, "ticket-keys", "rotate", path)
		if code != 0 {
			t.Fatalf("rotate %d: %d %s", i, code, errOut)
		}
		got := readKeys(t, path)
		want := min(i+2, defaultKeep+1)
		if len(got) != want {
			t.Fatalf("rotate %d: %d keys, want %d", i, len(got), want)
		}
		for j := 1; j < len(got); j++ {
			if got[j] != history[j-1] {
				t.Fatalf("rotate %d: key %d is not the previous key %d", i, j, j-1)
			}
		}
		if got[0] == history[0] {
			t.Fatalf("rotate %d: no new key", i)
		}
		assertNoKeys(t, out+errOut, got...)
		if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %04o after rotate", fi.Mode().Perm())
		}
		history = got
	}
	code, _, errOut = runArgs(t, "ticket-keys", "rotate", "--keep", "0", path)
	if got := readKeys(t, path); code != 0 || len(got) != 1 || got[0] == history[0] {
		t.Fatalf("--keep 0: %d keys, %s", len(got), errOut)
	}
	if !strings.Contains(errOut, "1 new first, 0 kept, 3 dropped") {
		t.Errorf("summary: %q", errOut)
	}
	code, _, _ = runArgs(t, "ticket-keys", "rotate", path, "--keep", "5")
	if got := readKeys(t, path); code != 0 || len(got) != 2 {
		t.Fatalf("--keep 5 after the flag: %d keys", len(got))
	}
	// Nothing left behind in the directory.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries, want only the key file", len(ents))
	}
}

func TestTicketKeysErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.keys")
	if code, _, e := runArgs(t, "ticket-keys", "new", good); code != 0 {
		t.Fatal(e)
	}
	loose := filepath.Join(dir, "loose.keys")
	data, _ := os.ReadFile(good)
	os.WriteFile(loose, data, 0o644)
	os.Chmod(loose, 0o644)
	broken := filepath.Join(dir, "broken.keys")
	os.WriteFile(broken, append(data, "not a key\n"...), 0o600)
	link := filepath.Join(dir, "link.keys")
	os.Symlink("good.keys", link)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"ticket-keys"}, exitUsage, "say new or rotate"},
		{[]string{"ticket-keys", "make", good}, exitUsage, `unknown action "make"`},
		{[]string{"ticket-keys", "new"}, exitUsage, "give one file"},
		{[]string{"ticket-keys", "rotate", good, good}, exitUsage, "give one file"},
		{[]string{"ticket-keys", "rotate", "--keep", "-1", good}, exitUsage, "out of range"},
		{[]string{"ticket-keys", "rotate", "--keep", "64", good}, exitUsage, "out of range"},
		{[]string{"ticket-keys", "new", "--keep", "3", filepath.Join(dir, "x")}, exitUsage, "--keep applies to rotate"},
		{[]string{"ticket-keys", "rotate", filepath.Join(dir, "missing")}, exitUsage, "ticket-keys new"},
		{[]string{"ticket-keys", "rotate", loose}, exitFailure, "chmod 600"},
		{[]string{"ticket-keys", "rotate", broken}, exitFailure, "line 4"},
		{[]string{"ticket-keys", "rotate", link}, exitUsage, "symbolic link"},
		{[]string{"ticket-keys", "new", filepath.Join(dir, "no", "such", "dir")}, exitFailure, "no such file"},
	} {
		if runtime.GOOS == "windows" && strings.Contains(tc.want, "chmod") {
			continue
		}
		code, _, errOut := runArgs(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
		assertNoKeys(t, errOut, readKeys(t, good)...)
	}
	if got, _ := os.ReadFile(broken); !bytes.Equal(got, append(data, "not a key\n"...)) {
		t.Error("a broken file was replaced")
	}
	code, out, _ := runArgs(t, "help", "ticket-keys")
	if code != 0 || !strings.Contains(out, "Rotation schedule") {
		t.Errorf("help ticket-keys: %d %q", code, out)
	}
	if code, out, _ := runArgs(t, "ticket-keys", "--help"); code != 0 || !strings.Contains(out, "--keep") {
		t.Errorf("ticket-keys --help: %d %q", code, out)
	}
}
