// Package fsx reads the files the library is given (trust stores, key
// pairs, ticket keys) the one way they are all read: regular files only,
// opened without blocking, and never read past a size limit, so that a
// wrong path (a FIFO, /dev/zero, a disk image) is refused instead of
// hanging the program or filling its memory.
//
// It is a leaf package: it imports only the standard library.
package fsx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrIsDir is the error, wrapped in an *fs.PathError, for a path that is a
// directory.
var ErrIsDir = errors.New("is a directory, not a file")

// ErrNotRegular is the error, wrapped in an *fs.PathError, for a FIFO, a
// device, a socket or anything else that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is the error, wrapped in an *fs.PathError, for a file larger
// than the limit given.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads the regular file at path (following symbolic links) if it
// holds at most max bytes. Errors are *fs.PathError values: errors.Is
// reaches fs.ErrNotExist, fs.ErrPermission, ErrIsDir, ErrNotRegular and
// ErrTooLarge.
func ReadFile(path string, max int64) ([]byte, error) {
	data, _, err := ReadFileInfo(path, max)
	return data, err
}

// ReadFileInfo is ReadFile that also returns the FileInfo of the file
// read, taken from the open file (so it describes the bytes returned, not
// whatever the path names a moment later).
func ReadFileInfo(path string, max int64) ([]byte, fs.FileInfo, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer; it has no
	// effect on the regular files that are read.
	f, err := os.OpenFile(path, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return read(f, path, max)
}

// ReadFileIn is ReadFileInfo for a name inside root: the file is opened
// through the root, so a symbolic link or a renamed path component cannot
// lead it outside the directory.
func ReadFileIn(root *os.Root, name string, max int64) ([]byte, fs.FileInfo, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return read(f, name, max)
}

// ReadFileHead reads at most the first n bytes of the regular file at
// path, however large it is, and returns its FileInfo: for a look at the
// start of a file that may be large.
func ReadFileHead(path string, n int64) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if err := checkRegular(fi, path); err != nil {
		return nil, fi, err
	}
	buf := make([]byte, min(n, fi.Size()))
	k, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fi, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return buf[:k], fi, nil
}

func checkRegular(fi fs.FileInfo, path string) error {
	if fi.IsDir() {
		return &fs.PathError{Op: "read", Path: path, Err: ErrIsDir}
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%v)", ErrNotRegular, fi.Mode().Type())}
	}
	return nil
}

func read(f *os.File, path string, max int64) ([]byte, fs.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if err := checkRegular(fi, path); err != nil {
		return nil, fi, err
	}
	if fi.Size() > max {
		return nil, fi, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: %d bytes is over the %s limit", ErrTooLarge, fi.Size(), limit(max))}
	}
	// Sized from the file, as os.ReadFile does, but never read past the
	// limit (the file may grow while it is read).
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + 512)
	if _, err := buf.ReadFrom(io.LimitReader(f, max+1)); err != nil {
		return nil, fi, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(buf.Len()) > max {
		return nil, fi, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: it grew over the %s limit while read", ErrTooLarge, limit(max))}
	}
	return buf.Bytes(), fi, nil
}

func limit(max int64) string {
	if max >= 1<<20 && max%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", max>>20)
	}
	return fmt.Sprintf("%d bytes", max)
}

// Unchanged reports whether two FileInfos of the same path describe the
// same, unmodified file: the same device and inode, size and modification
// time and, where the system has one, the same inode change time (which a
// copy that keeps the modification time, as cp -p or rsync -t make, still
// changes).
func Unchanged(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return false
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && sameCtime(a, b)
}
