package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/fsx"
)

// sourceError is a trust source that cannot be loaded; code is the exit
// code for it (usage for get and serve, exitPool for pool).
func sourceError(cmd string, code int, err error, t *trustFlags) error {
	return &cliError{code: code, msgs: []string{cmd + ": " + flagWords(err.Error(), t)}}
}

// load builds the pool the flags name: the file and directory sources
// merged, plus the system store with --system. It returns nil when no
// trust flag was given (the client then uses the system store, as
// tlsdefault does with no trust option).
func (t *trustFlags) load() (*capool.Pool, error) {
	if !t.given() {
		return nil, nil
	}
	var pools []*capool.Pool
	if t.explicit() {
		src := capool.Sources{CAFile: t.cafile, CAPath: t.capath}
		if t.cadataFile != "" {
			data, err := readCADataFile(t.cadataFile)
			if err != nil {
				return nil, fmt.Errorf("--cadata-file %s: %w", t.cadataFile, err)
			}
			if len(data) == 0 {
				return nil, fmt.Errorf("--cadata-file %s: the file is empty", t.cadataFile)
			}
			src.CAData = data
		}
		p, err := capool.Load(src)
		if err != nil {
			return nil, err
		}
		pools = append(pools, p)
	}
	if t.system {
		p, err := capool.System()
		if err != nil {
			return nil, err
		}
		pools = append(pools, p)
	}
	if len(pools) == 1 {
		return pools[0], nil
	}
	return capool.Merge(pools...), nil
}

// maxCADataSize caps --cadata-file, as capool caps --cafile and --capath
// files.
const maxCADataSize = 64 << 20

// readCADataFile reads a regular file of at most maxCADataSize bytes,
// through the one bounded reader of regular files: a FIFO is refused
// instead of blocking until a writer comes, and a device such as /dev/zero
// is refused instead of read without end.
func readCADataFile(path string) ([]byte, error) {
	data, fi, err := fsx.ReadFileInfo(path, maxCADataSize)
	if err != nil {
		if fi != nil {
			if cerr := checkRegular(fi); cerr != nil {
				return nil, cerr
			}
		}
		return nil, pathless(err)
	}
	return data, nil
}

// checkRegular refuses what is not a regular file of at most
// maxCADataSize bytes.
func checkRegular(fi os.FileInfo) error {
	switch {
	case fi.IsDir():
		return errors.New("is a directory, not a file (give a directory as --capath)")
	case !fi.Mode().IsRegular():
		return fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
	case fi.Size() > maxCADataSize:
		return fmt.Errorf("%d bytes is over the %d MiB limit", fi.Size(), maxCADataSize>>20)
	}
	return nil
}

// pathless drops the operation and path of a *PathError, which the
// message already names: "no such file or directory".
func pathless(err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err
	}
	return err
}
