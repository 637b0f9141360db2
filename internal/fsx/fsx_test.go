package fsx

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(p, 5); err != nil || string(got) != "hello" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	if _, err := ReadFile(p, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v, want ErrTooLarge", err)
	}
	if _, err := ReadFile(dir, 100); !errors.Is(err, ErrIsDir) {
		t.Errorf("directory: %v, want ErrIsDir", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 100); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v, want fs.ErrNotExist", err)
	}
	var pe *fs.PathError
	if _, err := ReadFile(dir, 100); !errors.As(err, &pe) || pe.Path != dir {
		t.Errorf("error %v does not name the path", err)
	}
	if runtime.GOOS != "windows" {
		if _, err := ReadFile("/dev/zero", 100); !errors.Is(err, ErrNotRegular) {
			t.Errorf("/dev/zero: %v, want ErrNotRegular", err)
		}
	}
}

func TestReadFileIn(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("secret"), 0o600)
	os.WriteFile(filepath.Join(dir, "in"), []byte("in"), 0o600)
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Skip(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if got, _, err := ReadFileIn(root, "in", 10); err != nil || string(got) != "in" {
		t.Errorf("ReadFileIn(in) = %q, %v", got, err)
	}
	if _, _, err := ReadFileIn(root, "out", 10); err == nil {
		t.Error("ReadFileIn followed a link out of the root")
	}
}

func TestUnchanged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("aaaa"), 0o600)
	a, _ := os.Stat(p)
	b, _ := os.Stat(p)
	if !Unchanged(a, b) {
		t.Fatal("the same file is reported changed")
	}
	// Replaced by a file of the same size and mtime (as cp -p does).
	q := filepath.Join(dir, "g")
	os.WriteFile(q, []byte("bbbb"), 0o600)
	os.Chtimes(q, a.ModTime(), a.ModTime())
	if err := os.Rename(q, p); err != nil {
		t.Fatal(err)
	}
	c, _ := os.Stat(p)
	if Unchanged(a, c) {
		t.Error("a replaced file with the same size and mtime is reported unchanged")
	}
	if Unchanged(nil, c) {
		t.Error("nil is unchanged")
	}
}

func TestReadFileHead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("0123456789"), 0o600)
	if got, fi, err := ReadFileHead(p, 4); err != nil || string(got) != "0123" || fi.Size() != 10 {
		t.Errorf("ReadFileHead(4) = %q, %v", got, err)
	}
	if got, _, err := ReadFileHead(p, 100); err != nil || string(got) != "0123456789" {
		t.Errorf("ReadFileHead(100) = %q, %v", got, err)
	}
	if _, _, err := ReadFileHead(dir, 4); !errors.Is(err, ErrIsDir) {
		t.Errorf("directory: %v", err)
	}
}
