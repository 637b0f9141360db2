package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
)

// poolCert is one certificate of the listing, as --json prints it.
type poolCert struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	SubjectHash string    `json:"subject_hash"` // %08x, as in capath names
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	Expired     bool      `json:"expired"`
	IsCA        bool      `json:"is_ca"`
	SelfSigned  bool      `json:"self_signed"`
	Key         string    `json:"key"`
	Source      string    `json:"source"` // cafile, capath, cadata, system, embedded
	Path        string    `json:"path,omitempty"`
	Block       int       `json:"block,omitempty"` // 1-based PEM block; 0 for DER
	Links       []string  `json:"links,omitempty"` // hashed capath names that hold it
	SHA256      string    `json:"sha256"`

	cert *x509.Certificate
}

// poolListing is the --json output.
type poolListing struct {
	Sources      string     `json:"sources"`
	Count        int        `json:"count"`
	Certificates []poolCert `json:"certificates"`
	Warnings     []string   `json:"warnings"`
}

func runPool(args []string, stdout, stderr io.Writer) error {
	var tf trustFlags
	fs := newFlagSet("pool")
	tf.register(fs)
	asJSON := fs.Bool("json", false, "")
	pos, err := parseFlags(fs, poolUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("pool: unexpected argument %q; name sources with --cafile, --capath, --cadata-file or --system", pos[0])
	}
	if err := checkEmpty(fs, "cafile", "capath", "cadata-file"); err != nil {
		return err
	}
	if !tf.given() {
		tf.system = true // as a client with no trust option
	}
	pool, err := tf.load()
	if err != nil {
		return sourceError("pool", exitPool, err, &tf)
	}

	now := time.Now()
	l := poolListing{Sources: pool.Describe(), Certificates: []poolCert{}, Warnings: []string{}}
	warn := func(format string, args ...any) {
		l.Warnings = append(l.Warnings, fmt.Sprintf(format, args...))
	}
	// Entries lists the hashed capath directories too, as they are now,
	// with the names that hold each certificate; Problems names the files
	// there that lookups cannot use.
	for _, e := range pool.Entries() {
		l.Certificates = append(l.Certificates, newPoolCert(e, now))
	}
	for _, p := range pool.Problems() {
		warn("%s", p.Error())
	}
	for _, c := range l.Certificates {
		where := c.where()
		switch {
		case c.Expired:
			warn("%s: %s expired on %s", where, c.Subject, c.NotAfter.UTC().Format(time.DateOnly))
		case now.Before(c.NotBefore):
			warn("%s: %s is not valid before %s", where, c.Subject, c.NotBefore.UTC().Format(time.DateOnly))
		}
		if !c.IsCA {
			warn("%s: %s is not a CA certificate (no CA:TRUE basic constraint); it can vouch only for itself", where, c.Subject)
		}
	}
	l.Count = len(l.Certificates)

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(l); err != nil {
			return err
		}
	} else {
		writePoolTable(stdout, &l)
	}
	for _, w := range l.Warnings {
		warnf(stderr, "%s", w)
	}
	if l.Count == 0 {
		if pool.IncludesSystem() && platformVerifier() && !tf.explicit() {
			infof(stderr, "the system store is held by the platform verifier on %s and cannot be listed", runtime.GOOS)
			return nil
		}
		return &cliError{code: exitPool, msgs: []string{"pool: the pool is empty (" + l.Sources + ")"}}
	}
	return nil
}

func newPoolCert(e capool.Entry, now time.Time) poolCert {
	c := e.Cert
	sum := sha256.Sum256(c.Raw)
	return poolCert{
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		SubjectHash: fmt.Sprintf("%08x", capool.SubjectHash(c)),
		NotBefore:   c.NotBefore.UTC(),
		NotAfter:    c.NotAfter.UTC(),
		Expired:     now.After(c.NotAfter),
		IsCA:        c.BasicConstraintsValid && c.IsCA,
		SelfSigned:  selfSigned(c),
		Key:         keyDescription(c),
		Source:      e.Source,
		Path:        e.Path,
		Block:       e.Block,
		Links:       e.Links,
		SHA256:      hex.EncodeToString(sum[:]),
		cert:        c,
	}
}

// where names the origin of a certificate: "cafile ca.pem block 2".
func (c *poolCert) where() string {
	s := c.Source
	if c.Path != "" {
		s += " " + c.Path
	}
	if c.Block > 0 {
		s += " block " + strconv.Itoa(c.Block)
	}
	return s
}

// platformVerifier reports whether the system roots are held by the
// platform verifier, which cannot list them (macOS, iOS, Windows); on the
// other systems crypto/x509 reads files, and capool lists them.
func platformVerifier() bool {
	switch runtime.GOOS {
	case "darwin", "ios", "windows":
		return true
	}
	return false
}

// selfSigned reports whether c's issuer is its subject and its signature
// verifies with its own key, whatever the algorithm (SHA-1 roots
// included: the listing describes the certificate, it does not trust it).
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func writePoolTable(w io.Writer, l *poolListing) {
	certs := l.Certificates
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HASH\tEXPIRES\tSOURCE\tSUBJECT")
	for _, c := range certs {
		src := c.where()
		if len(c.Links) > 0 {
			src += " (" + strings.Join(c.Links, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.SubjectHash, c.NotAfter.Format(time.DateOnly), src, peerText(c.Subject))
	}
	tw.Flush()
	noun := "certificates"
	if len(certs) == 1 {
		noun = "certificate"
	}
	fmt.Fprintf(w, "%d %s from %s\n", len(certs), noun, l.Sources)
}
