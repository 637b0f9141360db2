// Package ticketkeys reads the session ticket key files that servers of a
// fleet share (WithSessionTicketKeyFile), and reads them again when they
// change.
//
// The format is text: one key per line, 32 bytes in standard base64 (what
// `openssl rand -base64 32` prints); blank lines and lines starting with
// '#' are ignored; the first key encrypts new tickets and every key
// decrypts. The 32 bytes are what crypto/tls's Config.SetSessionTicketKeys
// takes: crypto/tls derives the ticket's AES and HMAC keys from them.
//
// Nothing here ever prints a key, or any part of a line that might be one:
// errors name the file and the line number only.
package ticketkeys

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/filewatch"
)

// KeySize is the size of one key, as crypto/tls takes it.
const KeySize = 32

// MaxKeys caps the keys of one file: every key is tried on a ticket that
// the first does not open.
const MaxKeys = 64

// MaxFileSize caps the size of a key file.
const MaxFileSize = 64 << 10

// Parse parses the text of a key file. An error names the line, never its
// content.
func Parse(data []byte) ([][KeySize]byte, error) {
	var keys [][KeySize]byte
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line) // also a \r before the \n
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if len(keys) == MaxKeys {
			return nil, fmt.Errorf("line %d: more than %d keys; drop the oldest", n+1, MaxKeys)
		}
		if base64.StdEncoding.EncodedLen(KeySize) != len(line) {
			return nil, fmt.Errorf("line %d: not a key: want %d characters of standard base64 (32 bytes, as `openssl rand -base64 32` prints), got %d", n+1, base64.StdEncoding.EncodedLen(KeySize), len(line))
		}
		// Room for what 44 characters may decode to (33 bytes without
		// padding), so that a wrong size is an error, not a panic.
		buf := make([]byte, base64.StdEncoding.DecodedLen(len(line)))
		defer clear(buf)
		m, err := base64.StdEncoding.Strict().Decode(buf, line)
		if err != nil || m != KeySize {
			// err says which byte is wrong: it would print the key.
			return nil, fmt.Errorf("line %d: not a key: not valid standard base64 of 32 bytes (make one with `openssl rand -base64 32`)", n+1)
		}
		keys = append(keys, [KeySize]byte(buf[:KeySize]))
	}
	if len(keys) == 0 {
		return nil, errors.New("no key; put at least one line made by `openssl rand -base64 32` in it")
	}
	return keys, nil
}

// Format writes keys in the file format, with a comment line first.
func Format(comment string, keys [][KeySize]byte) []byte {
	var b bytes.Buffer
	if comment != "" {
		for _, l := range bytes.Split([]byte(comment), []byte("\n")) {
			b.WriteString("# ")
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	for _, k := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k[:]))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Read reads and parses a key file, refusing one that is not a regular
// file, is too large, that group or others may read or write, or (on Unix)
// that is owned by a user other than the effective user or root.
func Read(path string) ([][KeySize]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := check(path, fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := check(path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	defer clear(data)
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is over the %d KiB limit", path, MaxFileSize>>10)
	}
	keys, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

func check(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > MaxFileSize {
		return fmt.Errorf("%s: %d bytes is over the %d KiB limit", path, fi.Size(), MaxFileSize>>10)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return fmt.Errorf("%s has mode %04o: group or others may read or write it, and whoever reads a ticket key can decrypt every session resumed with it; make it readable by its owner only (chmod 600 %s)", path, perm, path)
	}
	return checkOwner(path, fi)
}

// File is a key file in use, read again when it changes.
type File struct {
	Path  string
	watch *filewatch.Watcher
	keys  atomic.Pointer[[][KeySize]byte]
}

// Open reads the file once (an error here is the constructor's) and
// watches it, checking at most once per interval.
func Open(path string, interval time.Duration) (*File, error) {
	w, err := filewatch.New(interval, []string{path}, nil)
	if err != nil {
		return nil, err
	}
	keys, err := Read(path)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path, watch: w}
	f.keys.Store(&keys)
	return f, nil
}

// Keys returns the keys in use, the encrypting key first. The caller must
// not modify them.
func (f *File) Keys() [][KeySize]byte { return *f.keys.Load() }

// Check reads the file again if the interval has passed and it changed.
// On an error the keys in use are kept.
func (f *File) Check() filewatch.Outcome {
	return f.watch.Check(f.reload)
}

func (f *File) reload() error {
	keys, err := Read(f.Path)
	if err != nil {
		return err
	}
	f.keys.Store(&keys)
	return nil
}

// SetClock replaces the clock and the interval (tests).
func (f *File) SetClock(now func() time.Time, interval time.Duration) {
	f.watch.SetClock(now, interval)
}
