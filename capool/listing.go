package capool

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/tlsdefault/tlsdefault/internal/fsx"
)

// Listing certificates whose DER was dropped.
//
// Once a pool's *x509.CertPool form is built, it holds a copy of the DER
// of every certificate; the entries read from a file (cafile, plain capath
// files) then keep only where they were read (the file, its stamp at load,
// the block) and the SHA-256 of their DER. A listing reads the file again
// and lists each such certificate by its SHA-256, wherever it now is in the
// file: what is listed is always what the pool trusts, never what the file
// holds now if that differs. A certificate no longer in the file cannot be
// listed; it is left out of the listing and reported by Problems (the pool
// still trusts it, as loaded).

// loadedFile is a file certificates were read from when the pool was
// loaded, with its stamp then.
type loadedFile struct {
	path string
	fi   fs.FileInfo // of the bytes read, from the open file
}

// reading is a file read again for a listing: the certificates it holds
// now, by the SHA-256 of their DER, or why it could not be read.
type reading struct {
	certs map[[32]byte]*x509.Certificate
	err   error
}

// readings maps each file read again to what it holds now.
type readings map[*loadedFile]*reading

// reread reads the file again, leniently (a block broken since the load
// does not hide the others).
func (f *loadedFile) reread() *reading {
	data, err := fsx.ReadFile(f.path, maxSourceSize)
	if err != nil {
		return &reading{err: err}
	}
	rd := &reading{certs: make(map[[32]byte]*x509.Certificate)}
	parseCertsTo(data, parseLenient, func(pc parsedCert) {
		rd.certs[sha256.Sum256(pc.cert.Raw)] = pc.cert
	})
	return rd
}

// dropped reports whether the entry has dropped its DER for a SHA-256.
func (e *entry) dropped() bool { return e.der == nil && e.file != nil }

// droppedFiles returns, in the order first read, the files of the entries
// that dropped their DER.
func droppedFiles(ents []entry) []*loadedFile {
	var out []*loadedFile
	var last *loadedFile
	for i := range ents {
		f := ents[i].file
		if !ents[i].dropped() || f == last {
			continue
		}
		last = f
		if !containsFile(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func containsFile(files []*loadedFile, f *loadedFile) bool {
	for _, g := range files {
		if g == f {
			return true
		}
	}
	return false
}

// rereadFiles reads again, once each, the files of the entries that
// dropped their DER; nil when there are none.
func rereadFiles(ents []entry) readings {
	files := droppedFiles(ents)
	if len(files) == 0 {
		return nil
	}
	r := make(readings, len(files))
	for _, f := range files {
		r[f] = f.reread()
	}
	return r
}

// cert returns the certificate of a dropped entry from its file as read
// again, or nil if the file no longer holds it.
func (r readings) cert(e *entry) *x509.Certificate {
	rd := r[e.file]
	if rd == nil || rd.certs == nil {
		return nil
	}
	return rd.certs[e.sum]
}

// find is cert as a listing entry, with the place the certificate was read
// from when the pool was loaded.
func (r readings) find(e *entry) (Entry, bool) {
	cert := r.cert(e)
	if cert == nil {
		return Entry{}, false
	}
	return Entry{Cert: cert, Source: e.source, Path: e.path, Block: e.block}, true
}

// changedFiles returns the files of dropped entries whose stamp (device,
// inode, size, modification and change time) is not the one they had when
// the pool was loaded, or that are gone.
func changedFiles(ents []entry) []*loadedFile {
	var out []*loadedFile
	for _, f := range droppedFiles(ents) {
		fi, err := os.Stat(f.path)
		if err != nil || !fsx.Unchanged(f.fi, fi) {
			out = append(out, f)
		}
	}
	return out
}

// filesChanged reports whether a file that entries of the pool dropped
// their DER for has changed since the pool was loaded.
func (p *Pool) filesChanged() bool {
	return len(changedFiles(p.list())) > 0
}

// fileProblems reports the files, changed since the pool was loaded, that
// no longer hold all the certificates read from them, and those that can
// no longer be read. A file whose stamp is unchanged is not read.
func (p *Pool) fileProblems() []error {
	ents := p.list()
	changed := changedFiles(ents)
	if len(changed) == 0 {
		return nil
	}
	r := make(readings, len(changed))
	for _, f := range changed {
		r[f] = f.reread()
	}
	return r.lost(ents, changed, "the pool still trusts them as loaded but cannot list them; load the file again to trust and list what it holds now")
}

// withDER returns the pool's entries, each with its DER: the certificates
// that dropped theirs are read from their files again. Those no longer
// there are left out, and reported.
func (p *Pool) withDER() ([]entry, []error) {
	ents := p.list()
	r := rereadFiles(ents)
	if r == nil {
		return ents, nil
	}
	out := make([]entry, 0, len(ents))
	for _, e := range ents {
		if e.dropped() {
			cert := r.cert(&e)
			if cert == nil {
				continue
			}
			e.der = cert.Raw
		}
		out = append(out, e)
	}
	return out, r.lost(ents, droppedFiles(ents), "they are left out of the merged pool")
}

// maxLostBlocks bounds the block numbers named in one report.
const maxLostBlocks = 8

// lost describes, for each of files, the dropped entries its reading no
// longer holds, or why it could not be read; what says what follows.
func (r readings) lost(ents []entry, files []*loadedFile, what string) []error {
	var out []error
	for _, f := range files {
		rd := r[f]
		if rd == nil {
			continue
		}
		var n, missing int
		var blocks []string
		source := ""
		for i := range ents {
			e := &ents[i]
			if e.file != f || !e.dropped() {
				continue
			}
			source = e.source
			n++
			if rd.err == nil && rd.certs[e.sum] == nil {
				missing++
				if len(blocks) < maxLostBlocks {
					blocks = append(blocks, blockName(e.block))
				}
			}
		}
		var err error
		switch {
		case rd.err != nil:
			err = fmt.Errorf("cannot be read again to list the %s read from it when the pool was loaded (%s): %w",
				plural(n, "certificate"), what, rd.err)
		case missing > 0:
			at := strings.Join(blocks, ", ")
			if missing > len(blocks) {
				at += ", ..."
			}
			err = fmt.Errorf("changed since the pool was loaded: %d of the %s read from it then (%s) are no longer in it; %s",
				missing, plural(n, "certificate"), at, what)
		default:
			continue
		}
		out = append(out, &SourceError{Source: source, Path: f.path, Err: err, inDir: source == "capath"})
	}
	return out
}

func blockName(block int) string {
	if block == 0 {
		return "DER"
	}
	return "block " + strconv.Itoa(block)
}
