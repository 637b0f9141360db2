package main

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// The file server of 'serve --dir'. Everything is looked up through one
// opened directory (os.OpenRoot), so that a symbolic link, or a path
// component swapped for one, cannot lead outside the directory; names that
// start with a dot (.env, .git, .htpasswd) are neither served nor listed.

// dirHandler serves the files of the directory root.
func dirHandler(root *os.Root) http.Handler {
	return http.FileServerFS(hiddenFS{root.FS()})
}

// hiddenFS is a file system without its dot names and without the links
// that lead out of it.
type hiddenFS struct{ fsys fs.FS }

func (h hiddenFS) Open(name string) (fs.File, error) {
	if hasDotName(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := h.fsys.Open(name)
	if err != nil {
		// A link out of the directory ("path escapes from parent") is,
		// to a client, a file that is not there: not a server error.
		if !errors.Is(err, fs.ErrPermission) {
			err = fs.ErrNotExist
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.IsDir() {
		return f, nil
	}
	dir, ok := f.(fs.ReadDirFile)
	if !ok {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return hiddenDir{ReadDirFile: dir, fsys: h.fsys, name: name}, nil
}

// hasDotName reports whether a component of the slash-separated name
// starts with a dot (the name "." itself, the root, does not count).
func hasDotName(name string) bool {
	if name == "." {
		return false
	}
	for part := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

// hiddenDir lists a directory without its dot names and without links
// that lead out of the root.
type hiddenDir struct {
	fs.ReadDirFile
	fsys fs.FS
	name string
}

func (d hiddenDir) ReadDir(n int) ([]fs.DirEntry, error) {
	for {
		ents, err := d.ReadDirFile.ReadDir(n)
		kept := ents[:0]
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if e.Type()&fs.ModeSymlink != 0 {
				// os.Root follows a link only within the root.
				if _, err := fs.Stat(d.fsys, path.Join(d.name, e.Name())); err != nil {
					continue
				}
			}
			kept = append(kept, e)
		}
		// With n > 0, an empty batch would read as the end of the
		// directory; read on until something is kept or it ends.
		if n <= 0 || len(kept) > 0 || err != nil {
			return kept, err
		}
	}
}
