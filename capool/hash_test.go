package capool

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rawName builds a DER Name from RDNs of (oid, tag, value) triples, so
// tests can use string types crypto/x509 never writes.
type rawAVA struct {
	oid asn1.ObjectIdentifier
	tag int
	val []byte
}

func rawName(t testing.TB, rdns ...[]rawAVA) []byte {
	t.Helper()
	var seq []byte
	for _, rdn := range rdns {
		var set []byte
		for _, a := range rdn {
			oid, err := asn1.Marshal(a.oid)
			if err != nil {
				t.Fatal(err)
			}
			v := appendTLV(nil, []byte{byte(a.tag)}, a.val)
			set = append(set, appendTLV(nil, []byte{0x30}, append(oid, v...))...)
		}
		seq = append(seq, appendTLV(nil, []byte{0x31}, set)...)
	}
	return appendTLV(nil, []byte{0x30}, seq)
}

var (
	oidCN = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidO  = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidC  = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidSN = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidDC = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
)

func bmp(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

// hashSubjects is the varied set of subjects checked against OpenSSL.
func hashSubjects(t testing.TB) []struct {
	name string
	ca   *testCA
} {
	type s = struct {
		name string
		ca   *testCA
	}
	named := func(n string, name pkix.Name) s { return s{n, newCAName(t, name, nil)} }
	raw := func(n string, rdns ...[]rawAVA) s { return s{n, newCAName(t, pkix.Name{}, rawName(t, rdns...))} }
	return []s{
		named("plain", pkix.Name{CommonName: "Test Root CA", Organization: []string{"Example"}, Country: []string{"US"}}),
		named("mixed case", pkix.Name{CommonName: "MiXeD CaSe ROOT"}),
		named("runs of spaces", pkix.Name{CommonName: "a   b \t c"}),
		named("leading and trailing spaces", pkix.Name{CommonName: "   padded   "}),
		named("non-ASCII", pkix.Name{CommonName: "Zürich Ärger ÉCOLE Ωmega 東京"}),
		named("empty subject", pkix.Name{}),
		named("many attributes", pkix.Name{CommonName: "x", Organization: []string{"O1", "O2"}, OrganizationalUnit: []string{"Unit"}, Locality: []string{"Paris"}, Province: []string{"IDF"}, StreetAddress: []string{"1 Rue"}, PostalCode: []string{"75001"}, SerialNumber: "1234"}),
		raw("printable vs utf8 (printable)", []rawAVA{{oidCN, 0x13, []byte("Same Name")}}),
		raw("printable vs utf8 (utf8)", []rawAVA{{oidCN, 0x0c, []byte("same   name ")}}),
		raw("multi-valued RDN", []rawAVA{{oidC, 0x13, []byte("DE")}}, []rawAVA{{oidO, 0x0c, []byte("Org")}, {oidOU, 0x0c, []byte("Unit A")}, {oidCN, 0x0c, []byte("Multi")}}),
		raw("multi-valued RDN, other order", []rawAVA{{oidCN, 0x0c, []byte("Multi")}, {oidOU, 0x0c, []byte("Unit A")}, {oidO, 0x0c, []byte("Org")}}),
		raw("ia5 domain components", []rawAVA{{oidDC, 0x16, []byte("COM")}}, []rawAVA{{oidDC, 0x16, []byte("Example")}}, []rawAVA{{oidCN, 0x0c, []byte("DC Root")}}),
		raw("bmpstring", []rawAVA{{oidCN, 0x1e, bmp("  BMP Ünïcode  Name ")}}),
		raw("teletex latin-1", []rawAVA{{oidCN, 0x14, []byte("T61 Caf\xe9  ROOT")}}),
		raw("numericstring kept", []rawAVA{{oidSN, 0x12, []byte("12 34")}}, []rawAVA{{oidCN, 0x0c, []byte("Num")}}),
		raw("utf8 non-ASCII upper kept", []rawAVA{{oidCN, 0x0c, []byte("ÄÖÜ ÀÉ CA")}}),
		raw("tabs newlines", []rawAVA{{oidCN, 0x0c, []byte("\tA\n\nB\r\v\fC  ")}}),
		raw("only spaces", []rawAVA{{oidCN, 0x0c, []byte("    ")}}),
		raw("empty value", []rawAVA{{oidO, 0x0c, nil}}, []rawAVA{{oidCN, 0x0c, []byte("E")}}),
	}
}

func TestSubjectHashMatchesOpenSSL(t *testing.T) {
	openssl := peer(t, "openssl")
	dir := t.TempDir()
	for i, tc := range hashSubjects(t) {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, fmt.Sprintf("c%d.pem", i)), pemOf(tc.ca.cert))
			out, err := exec.Command(openssl, "x509", "-hash", "-noout", "-in", path).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl: %v\n%s", err, out)
			}
			want, err := strconv.ParseUint(strings.TrimSpace(string(out)), 16, 32)
			if err != nil {
				t.Fatalf("openssl output %q: %v", out, err)
			}
			if got := SubjectHash(tc.ca.cert); got != uint32(want) {
				t.Errorf("SubjectHash = %08x, openssl x509 -hash = %08x (subject %q)", got, want, tc.ca.cert.Subject)
			}
		})
	}
}
