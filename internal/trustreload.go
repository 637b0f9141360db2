package internal

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/filewatch"
	"github.com/tlsdefault/tlsdefault/internal/hashname"
)

// LiveTrust is the trust of a client or server config, built again when
// the files of WithCAFile or the plain files of WithCAPath change (same
// change detection as key pairs: device, inode, size, times, link target).
// WithCAData, WithPool and the system store are fixed at construction; they
// are part of every rebuild, unchanged. Safe for concurrent use.
type LiveTrust struct {
	s             *Settings
	defaultSystem bool
	watch         *filewatch.Watcher // nil when no file is watched
	cur           atomic.Pointer[TrustState]
	initial       *TrustState
	logf          func(format string, args ...any)
	// OnReload, when set before use, is called after each reload with
	// the error (nil when the new trust is in use).
	OnReload func(err error)
}

// TrustState is one version of the trust: the pool and the x509 pools for
// each purpose, made once.
type TrustState struct {
	Pool *capool.Pool
	// ServerAuth and ClientAuth are the RootCAs of a client and the
	// ClientCAs of a server; nil when Pool is lazy (a hashed capath):
	// use RootsNow.
	ServerAuth *x509.CertPool
	ClientAuth *x509.CertPool
	Describe   string
	Version    int // 0 for the trust built at construction
}

// NewLiveTrust builds the trust the settings ask for (see Settings.Trust)
// and watches its files. It returns nil and no error when there is no
// trust at all (a server without client authentication). Reload failures
// are reported through logf.
func NewLiveTrust(s *Settings, defaultSystem bool, logf func(string, ...any)) (*LiveTrust, error) {
	t := &LiveTrust{s: s, defaultSystem: defaultSystem, logf: logf}
	files := len(s.CAFiles) > 0 || len(s.CAPaths) > 0
	var st *TrustState
	var err, werr error
	if files {
		// Stamped before the files are read, so that a change made while
		// they are read is seen at the next check; the names of a hashed
		// capath are not read again for the stamp (NewAround).
		read := false
		t.watch, werr = filewatch.NewAround(s.reloadInterval(), s.CAFiles, caDirs(s.CAPaths), func() (map[string]bool, error) {
			read = true
			var hashed map[string]bool
			st, hashed, err = t.build(0)
			return hashed, err
		})
		if !read {
			// Stamping failed before anything was read: read anyway, for
			// the error that names the option and the path.
			st, _, err = t.build(0)
		}
	} else {
		st, _, err = t.build(0)
	}
	if err != nil {
		return nil, err // names the option, the path and the block
	}
	if st == nil {
		return nil, nil
	}
	if werr != nil {
		return nil, fmt.Errorf("tlsdefault: watching the trust files: %w", werr)
	}
	t.initial = st
	t.cur.Store(st)
	return t, nil
}

func caDirs(paths []string) []filewatch.Dir {
	var dirs []filewatch.Dir
	for _, d := range paths {
		dirs = append(dirs, filewatch.Dir{Path: d, Match: plainCAFile, Stop: hashedCertName})
	}
	return dirs
}

// plainCAFile reports whether a directory entry is one that capool reads
// as a plain certificate file (or a hashed name, whose links change when
// the directory is rehashed): dot files such as Kubernetes' ..data are left
// out, the directory's own stamp sees them change.
func plainCAFile(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pem", ".crt", ".cer":
		return true
	}
	return false
}

// hashedCertName reports whether name is a hashed certificate name
// (<hash>.<n>): capool then reads the directory as a hashed capath, whose
// files it looks up by name and checks itself when used, so the watcher
// stamps only the directory (a name added or removed changes it).
func hashedCertName(name string) bool {
	n, ok := hashname.Parse(name)
	return ok && !n.CRL
}

func (t *LiveTrust) build(version int) (*TrustState, map[string]bool, error) {
	p, hashed, err := t.s.trust(t.defaultSystem)
	if err != nil || p == nil {
		return nil, nil, err
	}
	st := &TrustState{Pool: p, Describe: p.Describe(), Version: version}
	if !p.Lazy() {
		// A hashed capath is read by RootsNow when needed: reading it
		// costs a read and a parse of every CA of the directory.
		st.ServerAuth = p.CertPoolNow(x509.ExtKeyUsageServerAuth)
		st.ClientAuth = p.CertPoolNow(x509.ExtKeyUsageClientAuth)
	}
	return st, hashed, nil
}

// Initial is the trust built at construction.
func (t *LiveTrust) Initial() *TrustState { return t.initial }

// Current returns the trust in use, first checking the files when the
// reload interval has passed. A broken new file is reported once and the
// previous trust is kept.
func (t *LiveTrust) Current() *TrustState {
	if t.watch != nil {
		o := t.watch.Check(t.reload)
		if o.Changed && !o.Repeated {
			if o.Err != nil {
				t.logf("tlsdefault: keeping the previous trust: %v", o.Err)
			}
			if t.OnReload != nil {
				t.OnReload(o.Err)
			}
		}
	}
	return t.cur.Load()
}

func (t *LiveTrust) reload() error {
	old := t.cur.Load()
	st, _, err := t.build(old.Version + 1)
	if err != nil {
		return err
	}
	t.cur.Store(st)
	return nil
}

// SetClock replaces the clock and the interval of the file checks (tests).
func (t *LiveTrust) SetClock(now func() time.Time, interval time.Duration) {
	if t.watch != nil {
		t.watch.SetClock(now, interval)
	}
}

// RootsNow is the pool to verify peers with for usage: the pools made at
// the build of st, or for a hashed capath the CAs it holds now (built
// again only when the directory changed; the pool is shared, do not modify
// it).
func (st *TrustState) RootsNow(usage x509.ExtKeyUsage) *x509.CertPool {
	if st.Pool.Lazy() {
		return st.Pool.CertPoolNow(usage)
	}
	if usage == x509.ExtKeyUsageClientAuth {
		return st.ClientAuth
	}
	return st.ServerAuth
}

// RootsForConfig is RootsNow for a config handed to the user (RootCAs of
// ClientConfig, ClientCAs of ServerConfig): for a hashed capath, a copy of
// the pool CertPoolNow keeps, so that a user who adds to the config's pool
// changes that config only, not the handshakes of others sharing the Pool.
func (st *TrustState) RootsForConfig(usage x509.ExtKeyUsage) *x509.CertPool {
	roots := st.RootsNow(usage)
	if st.Pool.Lazy() {
		return roots.Clone()
	}
	return roots
}

// Anchored reports whether one of the verified chains ends in a CA of st
// for usage: what crypto/tls checks when it resumes a session, done again
// here so that a CA removed since the chain was verified is refused even
// where the handshake used a pool of an older version.
//
// For a hashed capath, the anchor is looked up in the directory by its
// subject hash (flat), or else checked against the pool's other CAs.
func (st *TrustState) Anchored(chains [][]*x509.Certificate, usage x509.ExtKeyUsage, now time.Time) bool {
	var roots *x509.CertPool
	if st.Pool.Lazy() {
		roots = st.Pool.CertPoolFor(usage)
	} else {
		roots = st.RootsNow(usage)
	}
	for _, chain := range chains {
		if len(chain) == 0 {
			continue
		}
		root := chain[len(chain)-1]
		if st.Pool.InCapath(root) {
			return true
		}
		opts := x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
		if _, err := root.Verify(opts); err == nil {
			return true
		}
	}
	return false
}

// Latest returns the trust in use without checking the files.
func (t *LiveTrust) Latest() *TrustState { return t.cur.Load() }

// Watched reports whether any file of the trust is watched.
func (t *LiveTrust) Watched() bool { return t.watch != nil }

func (s *Settings) reloadInterval() time.Duration {
	if s.ReloadInterval > 0 {
		return s.ReloadInterval
	}
	return ReloadInterval
}
