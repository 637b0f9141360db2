package capool

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
)

// errNoSource is returned by [Load] when every field of [Sources] is empty.
var errNoSource = errors.New("capool: no trust source given")

// SourceError reports a problem with one trust source: which kind of source
// it is, the file or directory, and the PEM block.
//
// Its message reads like
//
//	capool: cafile /etc/ca.pem: block 2: x509: malformed certificate
//	capool: capath certs/: 5d30f3c5.0: block 1: x509: malformed certificate
//	capool: cadata: no certificate found
//
// Use [errors.As] to get at it, and [errors.Is] with [io/fs.ErrNotExist] or
// [io/fs.ErrPermission] to test the cause.
type SourceError struct {
	// Source is the kind of source: "cafile", "capath", "cadata", "system"
	// or "embedded".
	Source string

	// Path is the file or directory that was being read; empty for cadata
	// and the embedded roots. For a file inside a capath directory it is the
	// directory joined with the file name.
	Path string

	// Block is the 1-based number of the PEM block in the file (counting
	// every block, whatever its type), or 0 when the problem is not about
	// one block.
	Block int

	// Err is the underlying error.
	Err error

	// inDir is set when Path is a file inside a capath directory, so that
	// Error can print the directory and the file name apart.
	inDir bool
}

// Error implements the error interface.
func (e *SourceError) Error() string {
	var b strings.Builder
	b.WriteString("capool: ")
	b.WriteString(e.Source)
	if e.Path != "" {
		b.WriteByte(' ')
		if e.inDir {
			dir, file := filepath.Split(e.Path)
			b.WriteString(dir)
			b.WriteString(": ")
			b.WriteString(file)
		} else {
			b.WriteString(e.Path)
		}
	}
	if e.Block > 0 {
		b.WriteString(": block ")
		b.WriteString(strconv.Itoa(e.Block))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *SourceError) Unwrap() error { return e.Err }

// pathErr turns an error from the os package into a *SourceError naming the
// source. The *fs.PathError is unwrapped so that the path is not printed
// twice; errors.Is(err, fs.ErrNotExist) and friends still hold.
func pathErr(source, path string, err error) *SourceError {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &SourceError{Source: source, Path: path, Err: err}
}
