package capool

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/tlsdefault/tlsdefault/internal/godebugenv"
)

// System returns a Pool holding the system's trust store, as
// x509.SystemCertPool finds it (on Linux and other Unix systems it honours
// SSL_CERT_FILE and SSL_CERT_DIR; on macOS and Windows the platform verifier
// is used).
//
// Where crypto/x509 reads those variables, a variable that is set must
// yield certificates: SSL_CERT_FILE naming a file that is missing,
// unreadable or holds no certificate, or SSL_CERT_DIR naming a directory
// that is missing or unreadable, or directories with no certificate among
// them while SSL_CERT_FILE gives none, is an error naming the variable and
// the path (Python, through OpenSSL, then trusts nothing; crypto/x509 would
// quietly use other files).
//
// Where the system has no store, or an empty one (a scratch container), and
// neither variable is set, the
// Mozilla roots embedded from golang.org/x/crypto/x509roots/fallback/bundle
// are used instead, with their distrust-after constraints honoured; the pool
// then describes itself as "embedded Mozilla roots". Process-wide state is
// not touched: x509.SetFallbackRoots is never called.
//
// The system store is read leniently: a root that does not parse is skipped
// and reported by [Pool.Problems], so one odd root cannot empty the store.
// See [Pool.Certificates] for what can be listed on each platform.
func System() (*Pool, error) {
	if err := checkSystemEnv(); err != nil {
		return nil, err
	}
	s, err := loadSystem()
	if err != nil {
		return nil, err
	}
	b := newBuilder()
	b.p.system = s
	b.p.sources = []string{s.desc}
	return b.build(), nil
}

// systemStore is the system's trust store, or the embedded roots.
type systemStore struct {
	pool *x509.CertPool
	desc string

	// list lists the store's certificates for Certificates; it runs once,
	// on first use, since it reads many files.
	list     func() ([]entry, []error)
	once     sync.Once
	entries  []entry
	problems []error
}

// listing returns the store's certificates and the problems met listing it.
func (s *systemStore) listing() ([]entry, []error) {
	s.once.Do(func() {
		if s.list != nil {
			e, p := s.list()
			s.entries = e
			s.problems = append(s.problems, p...)
		}
	})
	return s.entries, s.problems
}

func loadSystem() (*systemStore, error) {
	if v, src := godebugenv.Lookup("x509usefallbackroots"); v == "1" {
		// crypto/x509 then answers SystemCertPool with the fallback roots
		// a program registered (golang.org/x/crypto/x509roots/fallback),
		// whatever the system holds and SSL_CERT_FILE or SSL_CERT_DIR say.
		if e := setSystemEnv(); e != "" {
			return nil, &SourceError{Source: "system", Path: os.Getenv(e), Err: fmt.Errorf("set by %s, but GODEBUG x509usefallbackroots=1 (from %s) makes crypto/x509 use the fallback roots the program registered instead of it; unset one of them (or give the trust explicitly, with WithCAFile for example)", e, src)}
		}
		s := embeddedStore(bundle.Roots())
		s.desc = "embedded Mozilla roots (GODEBUG x509usefallbackroots=1 asks for the fallback roots instead of the system store)"
		return s, nil
	}
	pool, err := x509.SystemCertPool()
	if err == nil && pool != nil && !pool.Equal(x509.NewCertPool()) {
		return &systemStore{pool: pool, desc: "system store", list: listSystemRoots}, nil
	}
	if v := setSystemEnv(); v != "" {
		if err == nil {
			err = errors.New("no certificate")
		}
		return nil, &SourceError{Source: "system", Path: os.Getenv(v), Err: fmt.Errorf("set by %s: crypto/x509 found no usable certificate (%w); fix the variable or unset it", v, err)}
	}
	s := embeddedStore(bundle.Roots())
	if err != nil {
		s.problems = append(s.problems, &SourceError{Source: "system", Err: err})
	}
	return s, nil
}

// embeddedStore builds a store from the embedded Mozilla roots, adding the
// constrained ones with AddCertWithConstraint.
func embeddedStore(roots func(func(bundle.Root) bool)) *systemStore {
	s := &systemStore{pool: x509.NewCertPool(), desc: "embedded Mozilla roots (no system store found)"}
	i := 0
	for r := range roots {
		i++
		cert, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			s.problems = append(s.problems, &SourceError{Source: "embedded", Block: 0, Err: err})
			continue
		}
		if r.Constraint != nil {
			s.pool.AddCertWithConstraint(cert, r.Constraint)
		} else {
			s.pool.AddCert(cert)
		}
		s.entries = append(s.entries, entry{der: cert.Raw, source: "embedded", constraint: r.Constraint})
	}
	s.once.Do(func() {}) // entries are already listed
	return s
}
