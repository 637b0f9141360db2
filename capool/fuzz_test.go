package capool

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"regexp"
	"testing"
)

// Seeds beyond testdata/fuzz: generated at run time, so no certificate
// that can expire is committed.
func FuzzParseCAData(f *testing.F) {
	ca := newCA(f, "Fuzz CA")
	f.Add(pemOf(ca.cert))
	f.Add(ca.cert.Raw)
	f.Add(append(append([]byte(nil), ca.cert.Raw...), ca.cert.Raw...))
	f.Add(append([]byte("text\n"), blockPEM("TRUSTED CERTIFICATE", append(append([]byte(nil), ca.cert.Raw...), 0x30, 0x00))...))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCAData(data)
		if err != nil {
			if certs != nil {
				t.Fatalf("error %v with %d certificates", err, len(certs))
			}
			var se *SourceError
			if !errors.As(err, &se) || se.Source != "cadata" {
				t.Fatalf("error %v is not a cadata *SourceError", err)
			}
			return
		}
		if len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
		// Round trip: the certificates, written as PEM, read back the same.
		var buf bytes.Buffer
		for _, c := range certs {
			pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
		again, err := ParseCAData(buf.Bytes())
		if err != nil || len(again) != len(certs) {
			t.Fatalf("PEM round trip: %d certificates, %v; want %d", len(again), err, len(certs))
		}
		for i := range certs {
			if !bytes.Equal(again[i].Raw, certs[i].Raw) {
				t.Fatalf("PEM round trip changed certificate %d", i)
			}
		}
	})
}

// FuzzParseCAFile fuzzes the cafile parser: strict results name a block
// that exists, lenient results never lose a good certificate.
func FuzzParseCAFile(f *testing.F) {
	ca := newCA(f, "Fuzz File CA")
	f.Add(append([]byte("# comment\n"), pemOf(ca.cert, ca.cert)...))
	f.Add(append(keyPEM(f), crlPEM(f, ca)...))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mode := range []parseMode{parseLenient, parseGoCompat, parseStrict} {
			res := parseCerts(data, mode)
			if mode == parseStrict && len(res.bad) > 1 {
				t.Fatalf("a strict parse went past its first bad block: %d", len(res.bad))
			}
			if len(res.bad) > maxBadBlocks {
				t.Fatalf("%d bad blocks described, over %d", len(res.bad), maxBadBlocks)
			}
			for _, b := range res.bad {
				if b.err == nil || b.block < 0 || b.block > res.blocks {
					t.Fatalf("bad block %d of %d: %v", b.block, res.blocks, b.err)
				}
			}
			for _, pc := range res.certs {
				if pc.cert == nil || pc.block < 0 || pc.block > res.blocks {
					t.Fatalf("certificate at block %d of %d", pc.block, res.blocks)
				}
			}
			strict, err := strictResult(res, "cafile", "f.pem", false)
			if (err == nil) != (len(res.bad) == 0 && len(res.certs) > 0) {
				t.Fatalf("strictResult error %v with %d bad, %d good", err, len(res.bad), len(res.certs))
			}
			if err != nil && strict.certs != nil {
				t.Fatal("certificates returned with an error")
			}
		}
	})
}

var hashedNameRE = regexp.MustCompile(`^[0-9a-f]{8}\.r?[0-9]+$`)

// FuzzHashedName checks the capath file-name parser against the pattern it
// implements, and against the rehash link-name parser.
func FuzzHashedName(f *testing.F) {
	for _, s := range []string{"5d30f3c5.0", "5d30f3c5.r12", "5D30F3C5.0", "5d30f3c5.", "5d30f3c5.0.pem", "..data", "ca.pem", "5d30f3c5.+1", "5d30f3c5.01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		h, crl, ok := hashedName(name)
		if ok != hashedNameRE.MatchString(name) {
			t.Fatalf("hashedName(%q) ok = %v, pattern says %v", name, ok, !ok)
		}
		if !ok {
			return
		}
		if hex8(h) != name[:8] || crl != (name[9] == 'r') {
			t.Fatalf("hashedName(%q) = %08x, %v", name, h, crl)
		}
		key, _, rok := rehashLinkName(name)
		if !rok || (key.hash != h || (key.suffix == "r") != crl) {
			t.Fatalf("rehashLinkName(%q) = %+v, %v; hashedName = %08x, %v", name, key, rok, h, crl)
		}
	})
}

// FuzzSubjectHash feeds crafted names to the canonicaliser: no panic, and
// canonicalising is idempotent (the canonical form, wrapped back into a
// Name, hashes the same).
func FuzzSubjectHash(f *testing.F) {
	for _, tc := range hashSubjects(f) {
		f.Add(tc.ca.cert.RawSubject)
	}
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x02, 0x31, 0x00})
	f.Fuzz(func(t *testing.T, name []byte) {
		canon, err := canonicalName(name)
		h, herr := nameHash(name)
		if (err == nil) != (herr == nil) {
			t.Fatal("canonicalName and nameHash disagree")
		}
		if err != nil {
			if h != 0 {
				t.Fatalf("hash %08x with error %v", h, err)
			}
			return
		}
		sum := sha1.Sum(canon)
		if binary.LittleEndian.Uint32(sum[:]) != h {
			t.Fatal("hash is not SHA-1 of the canonical form")
		}
		again, err := canonicalName(appendTLV(nil, []byte{0x30}, canon))
		if err != nil {
			t.Fatalf("canonical form does not parse: %v", err)
		}
		if !bytes.Equal(again, canon) {
			t.Fatalf("canonicalisation not idempotent:\n%x\n%x", canon, again)
		}
	})
}

// FuzzCRLIssuer fuzzes the CRL reader Rehash uses: it never panics, and
// what it accepts has an issuer name that hashes.
func FuzzCRLIssuer(f *testing.F) {
	ca := newCA(f, "Fuzz CRL CA")
	blk, _ := pem.Decode(crlPEM(f, ca))
	f.Add(blk.Bytes)
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		raw, issuer, err := crlIssuer(der)
		if err != nil {
			return
		}
		if len(raw) == 0 || len(issuer) == 0 {
			t.Fatalf("accepted with raw %d bytes, issuer %d bytes", len(raw), len(issuer))
		}
		if _, err := nameHash(issuer); err != nil {
			t.Fatalf("accepted issuer does not hash: %v", err)
		}
	})
}
