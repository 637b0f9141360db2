package capool

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tlsdefault/tlsdefault/internal/fsx"
)

// maxSourceSize is the largest file or cadata accepted, so that a wrong
// path (a disk image, /dev/zero) is refused rather than read into memory.
// The biggest public bundles are well under 1 MiB.
const maxSourceSize = 64 << 20

// PEM block types that hold a certificate, as OpenSSL's PEM_X509_INFO_read_bio
// reads them. Everything else (CRLs, keys, parameters) is skipped.
const (
	pemCertificate        = "CERTIFICATE"
	pemX509Certificate    = "X509 CERTIFICATE" // OpenSSL's old name
	pemTrustedCertificate = "TRUSTED CERTIFICATE"
)

var (
	pemBegin = []byte("-----BEGIN ")
	pemEnd   = []byte("-----END ")
	pemDash  = []byte("-----")
)

// parsedCert is one certificate with its place in the input.
type parsedCert struct {
	cert       *x509.Certificate
	block      int                             // 1-based PEM block; 0 for DER
	constraint func([]*x509.Certificate) error // from TRUSTED CERTIFICATE trust settings
	trust      *trustSettings                  // the same settings, per purpose
}

// blockErr is a problem with one block (or, for DER, one certificate).
type blockErr struct {
	block int
	err   error
}

// parseResult is what parseCerts found.
type parseResult struct {
	certs []parsedCert
	// bad lists blocks that claim to be certificates but cannot be used;
	// explicit sources treat them as errors, the system store skips them.
	bad []blockErr
	// moreBad counts the bad blocks past the first maxBadBlocks, which are
	// not described one by one.
	moreBad int
	// notes lists certificates deliberately left out (OpenSSL trust
	// settings that reject them); never fatal.
	notes []blockErr
	// blocks is the number of PEM blocks seen, of any type.
	blocks int
	// n counts the certificates found; emit, when set, receives each one
	// instead of certs, so that a large bundle is never held parsed all at
	// once.
	n    int
	emit func(parsedCert)
}

func (res *parseResult) addCert(pc parsedCert) {
	res.n++
	if res.emit != nil {
		res.emit(pc)
		return
	}
	res.certs = append(res.certs, pc)
}

// isPEM reports whether data is PEM text rather than DER bytes, by content
// as Python's cadata and smallstep's pemutil decide.
func isPEM(data []byte) bool { return bytes.Contains(data, pemBegin) }

// parseMode says how parseCerts treats blocks that cannot be used.
type parseMode int

const (
	// parseStrict stops at the first bad block: an explicit source is
	// refused for it, so nothing after it is worth reading (or describing:
	// hostile input full of broken blocks costs no more than its size).
	parseStrict parseMode = iota
	// parseLenient reads past bad blocks, describing the first
	// maxBadBlocks and counting the rest.
	parseLenient
	// parseGoCompat is parseLenient reading only what crypto/x509's
	// AppendCertsFromPEM reads (CERTIFICATE blocks without headers), so
	// that a listing of the system store matches the pool Go builds from
	// the same files.
	parseGoCompat
)

// maxBadBlocks bounds the bad blocks described one by one in a lenient
// read.
const maxBadBlocks = 16

// addBad records a bad block; it reports whether parsing should stop.
func (res *parseResult) addBad(mode parseMode, b blockErr) bool {
	if len(res.bad) >= maxBadBlocks {
		res.moreBad++
	} else {
		res.bad = append(res.bad, b)
	}
	return mode == parseStrict
}

// badErrors returns the bad blocks as errors for a load report.
func (res *parseResult) badErrors(source, path string, inDir bool) []error {
	var out []error
	for _, bad := range res.bad {
		out = append(out, &SourceError{Source: source, Path: path, Block: bad.block, Err: bad.err, inDir: inDir})
	}
	if res.moreBad > 0 {
		out = append(out, &SourceError{Source: source, Path: path, inDir: inDir,
			Err: fmt.Errorf("and %d more blocks that are not usable certificates", res.moreBad)})
	}
	return out
}

// parseCerts reads every certificate in data, PEM or DER.
func parseCerts(data []byte, mode parseMode) parseResult {
	return parseCertsTo(data, mode, nil)
}

// parseCertsTo is parseCerts handing each certificate to emit, if set,
// rather than keeping them in the result.
func parseCertsTo(data []byte, mode parseMode, emit func(parsedCert)) parseResult {
	if len(data) > 0 && data[0] == 0x30 && isPEM(data) {
		// DER whose bytes happen to contain "-----BEGIN " (in a subject,
		// say): DER when it parses as DER.
		if res := parseDER(data, parseStrict, nil); len(res.bad) == 0 && res.n > 0 {
			if emit != nil {
				for _, pc := range res.certs {
					emit(pc)
				}
				res.certs, res.emit = nil, emit
			}
			return res
		}
	}
	if isPEM(data) {
		// A UTF-8 byte order mark, as editors on Windows write, is
		// accepted before the first line, as OpenSSL does.
		return parsePEM(bytes.TrimPrefix(data, utf8BOM), mode, emit)
	}
	return parseDER(data, mode, emit)
}

var utf8BOM = []byte("\xef\xbb\xbf")

// parsePEM reads a PEM bundle the way OpenSSL does: text outside blocks is
// ignored, blocks of other types are skipped, and a certificate block that
// does not decode is reported with its number.
func parsePEM(data []byte, mode parseMode, emit func(parsedCert)) parseResult {
	res := parseResult{emit: emit}
	goCompat := mode == parseGoCompat
	rest := data
	for len(rest) > 0 {
		start := nextLineWith(rest, pemBegin)
		if start < 0 {
			break
		}
		rest = rest[start:]
		line, after := cutLine(rest)
		typ, ok := pemLabel(line, pemBegin)
		if !ok {
			// Not a well-formed BEGIN line: plain text, as for OpenSSL.
			rest = after
			continue
		}
		res.blocks++
		n := res.blocks
		isCert := typ == pemCertificate || typ == pemX509Certificate || typ == pemTrustedCertificate
		if goCompat && typ != pemCertificate {
			isCert = false
		}
		// The block ends at the next marker line; as OpenSSL reads PEM,
		// that must be the END line of the same type. Stopping at the next
		// marker, BEGIN or END, keeps the scan linear and never lets a
		// broken block swallow the one after it.
		m := nextMarker(after)
		if m < 0 {
			if isCert {
				res.addBad(mode, blockErr{n, fmt.Errorf("%s block has no END line", typ)})
			}
			break
		}
		markLine, next := cutLine(after[m:])
		if endTyp, ok := pemLabel(markLine, pemEnd); !ok || endTyp != typ {
			if isCert {
				// Counted without building the message once the
				// described ones are full: hostile input is made of
				// nothing else.
				if len(res.bad) >= maxBadBlocks {
					res.moreBad++
				} else {
					res.addBad(mode, blockErr{n, fmt.Errorf("%s block has no END line (found %s first)", typ, quoteLine(markLine))})
				}
				if mode == parseStrict {
					return res
				}
			}
			if bytes.HasPrefix(markLine, pemBegin) {
				rest = after[m:] // the next block starts here
			} else {
				rest = next
			}
			continue
		}
		blockText := rest[:len(rest)-len(next)]
		rest = next
		if !isCert {
			continue
		}
		blk, _ := pem.Decode(blockText)
		if blk == nil || blk.Type != typ {
			if res.addBad(mode, blockErr{n, fmt.Errorf("%s block is not valid PEM (bad base64 or headers)", typ)}) {
				return res
			}
			continue
		}
		if goCompat && len(blk.Headers) != 0 {
			continue
		}
		if typ == pemTrustedCertificate {
			pc, note, err := parseTrusted(blk.Bytes)
			switch {
			case err != nil:
				if res.addBad(mode, blockErr{n, err}) {
					return res
				}
			case note != nil:
				res.notes = append(res.notes, blockErr{n, note})
			default:
				pc.block = n
				res.addCert(pc)
			}
			continue
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			if res.addBad(mode, blockErr{n, err}) {
				return res
			}
			continue
		}
		res.addCert(parsedCert{cert: cert, block: n})
	}
	return res
}

// quoteLine quotes a line of input for an error message, cut to a length
// that keeps the message readable whatever the input.
func quoteLine(line []byte) string {
	line = bytes.TrimRight(line, " \t\r")
	const max = 80
	if len(line) > max {
		return fmt.Sprintf("%q... (%d bytes)", line[:max], len(line))
	}
	return fmt.Sprintf("%q", line)
}

var nlBegin = []byte("\n-----BEGIN ")

// nextLineWith returns the offset of the first line of data that starts
// with "-----BEGIN ", or -1.
func nextLineWith(data, prefix []byte) int {
	off := 0
	for {
		if bytes.HasPrefix(data[off:], prefix) {
			return off
		}
		i := bytes.Index(data[off:], nlBegin)
		if i < 0 {
			return -1
		}
		off += i + 1
	}
}

// nextMarker returns the offset of the first line of data that starts with
// "-----BEGIN " or "-----END ", or -1.
func nextMarker(data []byte) int {
	off := 0
	for {
		if bytes.HasPrefix(data[off:], pemBegin) || bytes.HasPrefix(data[off:], pemEnd) {
			return off
		}
		i := bytes.Index(data[off:], []byte("\n-----"))
		if i < 0 {
			return -1
		}
		off += i + 1
	}
}

// cutLine splits data after its first newline.
func cutLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// pemLabel returns the type of a "-----BEGIN TYPE-----" line.
func pemLabel(line, prefix []byte) (string, bool) {
	line = bytes.TrimRight(line, " \t\r")
	if !bytes.HasPrefix(line, prefix) || !bytes.HasSuffix(line, pemDash) || len(line) < len(prefix)+len(pemDash) {
		return "", false
	}
	label := line[len(prefix) : len(line)-len(pemDash)]
	for _, known := range knownLabels {
		if string(label) == known {
			return known, true // no allocation for the usual types
		}
	}
	return string(label), true
}

var knownLabels = []string{pemCertificate, pemX509Certificate, pemTrustedCertificate, "X509 CRL", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"}

// parseDER reads one or several concatenated DER certificates.
func parseDER(data []byte, mode parseMode, emit func(parsedCert)) parseResult {
	res := parseResult{emit: emit}
	if len(data) > 0 && data[0] != 0x30 {
		// Not a SEQUENCE: most likely text that is not PEM.
		head := data[:min(len(data), 16)]
		res.addBad(mode, blockErr{0, fmt.Errorf("neither PEM (no \"-----BEGIN CERTIFICATE-----\" line) nor DER (which starts with byte 0x30; this starts with %q)", head)})
		return res
	}
	rest := data
	for i := 1; len(rest) > 0; i++ {
		if i > 1 && len(bytes.TrimSpace(rest)) == 0 {
			break // a trailing newline after DER, as Python accepts
		}
		off := len(data) - len(rest)
		var raw asn1.RawValue
		next, err := asn1.Unmarshal(rest, &raw)
		if err != nil {
			res.addBad(mode, blockErr{0, fmt.Errorf("DER certificate %d at byte %d: %w", i, off, err)})
			return res
		}
		rest = next
		cert, err := x509.ParseCertificate(raw.FullBytes)
		if err != nil {
			if res.addBad(mode, blockErr{0, fmt.Errorf("DER certificate %d at byte %d: %w", i, off, err)}) {
				return res
			}
			continue
		}
		res.addCert(parsedCert{cert: cert})
	}
	return res
}

// certAux is OpenSSL's X509_CERT_AUX, the trust settings that follow the
// certificate in a TRUSTED CERTIFICATE block.
type certAux struct {
	Trust  []asn1.ObjectIdentifier `asn1:"optional"`
	Reject []asn1.ObjectIdentifier `asn1:"optional,tag:0"`
	Alias  string                  `asn1:"optional,utf8"`
	KeyID  []byte                  `asn1:"optional"`
	Other  asn1.RawValue           `asn1:"optional,tag:1"`
}

var (
	oidAnyEKU = asn1.ObjectIdentifier{2, 5, 29, 37, 0}
	// ekuByOID maps the purposes OpenSSL trust settings name to Go's.
	ekuByOID = map[string]x509.ExtKeyUsage{
		"1.3.6.1.5.5.7.3.1": x509.ExtKeyUsageServerAuth,
		"1.3.6.1.5.5.7.3.2": x509.ExtKeyUsageClientAuth,
		"1.3.6.1.5.5.7.3.3": x509.ExtKeyUsageCodeSigning,
		"1.3.6.1.5.5.7.3.4": x509.ExtKeyUsageEmailProtection,
		"1.3.6.1.5.5.7.3.8": x509.ExtKeyUsageTimeStamping,
		"1.3.6.1.5.5.7.3.9": x509.ExtKeyUsageOCSPSigning,
	}
)

// trustSettings are the purposes OpenSSL's auxiliary trust data of a
// TRUSTED CERTIFICATE trusts and rejects it for.
type trustSettings struct {
	trust, reject []asn1.ObjectIdentifier
}

// allows reports whether the settings let the certificate anchor a chain
// verified for usage, as OpenSSL's obj_trust decides: a rejected purpose (or
// anyExtendedKeyUsage) refuses; a trust list must name the purpose (or
// anyExtendedKeyUsage); no list at all allows.
func (ts *trustSettings) allows(usage x509.ExtKeyUsage) bool {
	if ts == nil {
		return true
	}
	matches := func(oid asn1.ObjectIdentifier) bool {
		if oid.Equal(oidAnyEKU) {
			return true
		}
		u, ok := ekuByOID[oid.String()]
		return ok && u == usage
	}
	if slices.ContainsFunc(ts.reject, matches) {
		return false
	}
	return len(ts.trust) == 0 || slices.ContainsFunc(ts.trust, matches)
}

// tlsPurposes are the purposes a TLS chain is verified for.
var tlsPurposes = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}

// constraint is the check used where the purpose of the verification is not
// known (Pool.CertPool): the chain is accepted when its leaf may be used for
// a TLS purpose the settings allow. Pool.CertPoolFor and Pool.Verify, which
// know the purpose, apply the settings exactly instead.
func (ts *trustSettings) constraint(subject string) func([]*x509.Certificate) error {
	return func(chain []*x509.Certificate) error {
		var purposes []x509.ExtKeyUsage
		if len(chain) > 0 {
			for _, u := range chain[0].ExtKeyUsage {
				if u == x509.ExtKeyUsageAny {
					purposes = nil
					break
				}
				if slices.Contains(tlsPurposes, u) {
					purposes = append(purposes, u)
				}
			}
			if len(chain[0].ExtKeyUsage) == 0 {
				purposes = nil
			}
		}
		if purposes == nil {
			purposes = tlsPurposes
		}
		if slices.ContainsFunc(purposes, ts.allows) {
			return nil
		}
		return fmt.Errorf("capool: the trust settings of %q (TRUSTED CERTIFICATE) do not allow it for the leaf's purposes", subject)
	}
}

// parseTrusted reads the DER of a TRUSTED CERTIFICATE block: a certificate
// followed by OpenSSL's auxiliary trust data. The settings are kept with the
// certificate and applied per purpose (see trustSettings.allows); a
// certificate they allow for no TLS purpose at all is left out (note says
// why).
func parseTrusted(der []byte) (pc parsedCert, note, err error) {
	var raw asn1.RawValue
	auxDER, err := asn1.Unmarshal(der, &raw)
	if err != nil {
		return pc, nil, fmt.Errorf("TRUSTED CERTIFICATE: %w", err)
	}
	cert, err := x509.ParseCertificate(raw.FullBytes)
	if err != nil {
		return pc, nil, err
	}
	pc.cert = cert
	if len(auxDER) == 0 {
		return pc, nil, nil
	}
	var aux certAux
	trailing, err := asn1.Unmarshal(auxDER, &aux)
	if err != nil {
		return pc, nil, fmt.Errorf("TRUSTED CERTIFICATE: trust settings: %w", err)
	}
	if len(trailing) > 0 {
		return pc, nil, errors.New("TRUSTED CERTIFICATE: trailing data after trust settings")
	}
	if len(aux.Trust) == 0 && len(aux.Reject) == 0 {
		return pc, nil, nil
	}
	ts := &trustSettings{trust: aux.Trust, reject: aux.Reject}
	if !slices.ContainsFunc(tlsPurposes, ts.allows) {
		what := "trusted only for " + oidList(aux.Trust)
		if len(aux.Reject) > 0 {
			what = "rejected for " + oidList(aux.Reject)
		}
		return pc, fmt.Errorf("certificate %q is %s by its OpenSSL trust settings, which leaves no TLS purpose; left out", cert.Subject, what), nil
	}
	pc.trust = ts
	pc.constraint = ts.constraint(cert.Subject.String())
	return pc, nil, nil
}

func oidList(oids []asn1.ObjectIdentifier) string {
	s := make([]string, len(oids))
	for i, o := range oids {
		s[i] = o.String()
	}
	return strings.Join(s, ", ")
}

// ParseCAData parses PEM text or DER bytes (one certificate, or several
// concatenated) into certificates, as [Sources.CAData] is read. Input
// containing "-----BEGIN " is PEM; anything else is DER.
//
// PEM input is read as OpenSSL reads a CA file: text between blocks is
// ignored, CRL and key blocks are skipped, and CERTIFICATE, X509 CERTIFICATE
// and TRUSTED CERTIFICATE blocks are read (a TRUSTED CERTIFICATE whose trust
// settings reject a purpose is left out). A certificate block that does not
// decode or parse is an error naming its 1-based block number, and input
// with no certificate at all is an error. On error the returned slice is
// nil. Errors are of type *[SourceError] with Source "cadata".
func ParseCAData(data []byte) ([]*x509.Certificate, error) {
	res, err := parseData(data)
	if err != nil {
		return nil, err
	}
	certs := make([]*x509.Certificate, len(res.certs))
	for i, pc := range res.certs {
		certs[i] = pc.cert
	}
	return certs, nil
}

// parseData parses cadata strictly.
func parseData(data []byte) (parseResult, error) {
	return parseDataTo(data, nil)
}

func parseDataTo(data []byte, emit func(parsedCert)) (parseResult, error) {
	if len(data) > maxSourceSize {
		return parseResult{}, &SourceError{Source: "cadata", Err: fmt.Errorf("%d bytes is over the %d MiB limit", len(data), maxSourceSize>>20)}
	}
	return strictResult(parseCertsTo(data, parseStrict, emit), "cadata", "", false)
}

// strictResult turns the first bad block into an error, and an input with
// no certificate into an error.
func strictResult(res parseResult, source, path string, inDir bool) (parseResult, error) {
	if len(res.bad) > 0 {
		b := res.bad[0]
		return parseResult{}, &SourceError{Source: source, Path: path, Block: b.block, Err: b.err, inDir: inDir}
	}
	if res.n == 0 {
		msg := "no certificate found"
		switch {
		case len(res.notes) > 0:
			msg = fmt.Sprintf("no usable certificate found (%d left out by their trust settings)", len(res.notes))
		case res.blocks > 0:
			msg = fmt.Sprintf("no certificate found among %d PEM blocks", res.blocks)
		}
		return parseResult{}, &SourceError{Source: source, Path: path, Err: errors.New(msg), inDir: inDir}
	}
	return res, nil
}

// readCapped reads a regular file of at most maxSourceSize bytes. It
// follows symbolic links; the operating system refuses loops (ELOOP).
func readCapped(path string) ([]byte, error) {
	return fsx.ReadFile(path, maxSourceSize)
}
